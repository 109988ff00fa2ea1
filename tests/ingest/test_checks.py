"""`frontdesk check`: the problems a docs writer wants to hear about before publishing."""

from __future__ import annotations

from pathlib import Path

from ingest.checks import check_knowledge_base, has_errors
from tests.conftest import SAMPLE_KB, write_article


def test_sample_knowledge_base_passes() -> None:
    findings = check_knowledge_base(SAMPLE_KB)
    assert not has_errors(findings)
    assert all(f.message.startswith("no `pages`") for f in findings)


def test_problems_are_found_with_file_and_line(tmp_path: Path) -> None:
    target = write_article(
        tmp_path,
        "a.md",
        "id: a\ntitle: Refunds\nurl: /help/a\npages: [/billing]",
        "## How long\n\n5 days.\n\n## Empty\n",
    )
    source = write_article(
        tmp_path,
        "b.md",
        "id: b\ntitle: refunds\nurl: /help/b",
        "Intro.\n\n## Links\n\n[ok](/help/a#how-long) [gone](/help/nope) "
        "[bad anchor](a.md#never) [outside](https://example.com/help/x)\n",
    )
    found = {str(f) for f in check_knowledge_base(tmp_path)}
    assert found == {
        f"{target}:11: warning: section 'Empty' is empty",
        f"{source}:3: duplicate title 'refunds' in locale 'en' (also in {target}:3)",
        f"{source}:3: warning: no `pages`: the article is never boosted on a product page",
        f"{source}:10: link to '/help/nope' points to no article",
        f"{source}:10: link to 'a.md#never': article 'a' has no section #never",
    }


def test_parse_errors_are_part_of_the_check(tmp_path: Path) -> None:
    write_article(tmp_path, "a.md", "id: a\ntitle: A\nurl: /a\ncolour: red", "Body")
    findings = check_knowledge_base(tmp_path)
    assert has_errors(findings) and "unknown key 'colour'" in findings[0].message
