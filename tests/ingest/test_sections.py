"""Splitting an article into sections with anchors, and rendering safe HTML."""

from __future__ import annotations

from ingest.sections import sanitize_html, slugify, split_sections

BODY = """Intro text.

## Change the card

Go to **Settings**.

```
## not a heading
```

### If it is declined

Call your bank.

## Change the card

Again.
"""


def test_sections_follow_headings_with_paths_and_unique_anchors() -> None:
    sections = split_sections(BODY, title="Update your card", first_line=5)
    assert [(s.path, s.anchor, s.line) for s in sections] == [
        ((), "", 5),
        (("Change the card",), "change-the-card", 7),
        (("Change the card", "If it is declined"), "if-it-is-declined", 15),
        (("Change the card",), "change-the-card-1", 19),
    ]
    assert "## not a heading" in sections[1].markdown
    assert sections[1].html.startswith('<h2 id="change-the-card">Change the card</h2>')
    assert sections[1].text.startswith("Go to Settings.")


def test_leading_h1_repeating_the_title_is_not_a_section_level() -> None:
    sections = split_sections("# Refunds\n\nWe refund.\n\n## How long\n\n5 days.", title="Refunds")
    assert [s.path for s in sections] == [(), ("How long",)]
    assert sections[0].text == "We refund."


def test_script_and_event_handlers_are_removed_from_html() -> None:
    body = (
        'Hi <script>alert(1)</script><img src="x.png" onerror="alert(2)">\n\n'
        '[click](javascript:alert(3)) <a href="https://ok.example">ok</a>'
    )
    (section,) = split_sections(body, title="T")
    assert "script" not in section.html and "onerror" not in section.html
    assert "javascript:" not in section.html
    assert 'href="https://ok.example"' in section.html
    assert 'rel="noopener noreferrer"' in section.html


def test_sanitizer_keeps_heading_ids_and_tables() -> None:
    html = sanitize_html('<h2 id="a" style="color:red">A</h2><table><tr><td>1</td></tr></table>')
    assert html == '<h2 id="a">A</h2><table><tbody><tr><td>1</td></tr></tbody></table>'


def test_slugify_matches_the_anchor_writers_type() -> None:
    assert slugify("Download a **PDF** (invoice)") == "download-a-pdf-invoice"
    assert slugify("Zwei-Faktor-Authentifizierung: Einrichten") == (
        "zwei-faktor-authentifizierung-einrichten"
    )
