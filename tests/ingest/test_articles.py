"""Parsing and validating knowledge-base articles: every error names its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.articles import load_knowledge_base, parse_article
from ingest.errors import KnowledgeBaseError
from tests.conftest import SAMPLE_KB, write_article

GOOD = """id: billing-refunds
title: Refunds
url: /help/billing/refunds
pages:
  - /settings/billing*
tags: [billing]
updated: 2026-03-01
questions:
  - can I get my money back"""


def errors_of(path: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        parse_article(path)
    return [str(f) for f in caught.value.findings]


def test_valid_article_is_parsed_with_defaults(tmp_path: Path) -> None:
    path = write_article(tmp_path, "refunds.md", GOOD, "Refunds take 5 to 10 business days.\n")
    article = parse_article(path)
    assert article.id == "billing-refunds"
    assert article.meta.locale == "en"
    assert article.meta.pages == ["/settings/billing*"]
    assert article.meta.questions == ["can I get my money back"]
    assert article.body_line == 12
    assert article.line_of("title") == 3


def test_bad_yaml_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write_article(tmp_path, "a.md", "id: a\ntitle: x\nurl: /a\ntags: [one, two", "Body")
    assert errors_of(path)[0].startswith(f"{path}:5: invalid YAML")


def test_missing_title_is_reported(tmp_path: Path) -> None:
    path = write_article(tmp_path, "a.md", "id: a\nurl: /a", "Body")
    assert errors_of(path) == [f"{path}:1: missing required key 'title'"]


def test_unknown_key_is_reported_at_its_line_with_the_allowed_keys(tmp_path: Path) -> None:
    path = write_article(tmp_path, "a.md", "id: a\ntitle: A\nurl: /a\nauthor: me", "Body")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:5: unknown key 'author' (allowed: id, title, url, pages")


def test_bad_pages_pattern_is_reported_at_the_pages_line(tmp_path: Path) -> None:
    path = write_article(
        tmp_path, "a.md", "id: a\ntitle: A\nurl: /a\npages: [settings/billing]", "Body"
    )
    (error,) = errors_of(path)
    assert error == f"{path}:5: pages: page pattern 'settings/billing' must start with '/'"


def test_several_problems_in_one_file_are_all_reported(tmp_path: Path) -> None:
    path = write_article(tmp_path, "a.md", "id: Bad Id!\ntitle: ''\nurl: nowhere", "Body")
    errors = errors_of(path)
    assert [e.split(": ", 1)[0] for e in errors] == [f"{path}:2", f"{path}:3", f"{path}:4"]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("just text", 1, "missing front matter"),
        ("---\nid: a\ntitle: A\n", 1, "front matter is not closed"),
        ("---\n- a\n- b\n---\nBody", 2, "front matter must be a mapping"),
        ("---\nid: a\ntitle: A\nurl: /a\n---\n\n", 5, "the article has no text"),
    ],
)
def test_malformed_files_are_reported(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    path = tmp_path / "a.md"
    path.write_text(content, encoding="utf-8")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:{line}: {message}")


def test_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"---\nid: a\ntitle: Caf\xe9\n---\nBody")
    assert errors_of(path) == [f"{path}:3: the file is not valid UTF-8"]


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    first = write_article(tmp_path, "a.md", "id: same\ntitle: A\nurl: /a", "Body")
    second = write_article(tmp_path, "b/b.md", "id: same\ntitle: B\nurl: /b", "Body")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path)
    assert [str(f) for f in caught.value.findings] == [
        f"{second}:2: duplicate id 'same' (also in {first}:2)"
    ]


def test_errors_from_every_file_are_collected(tmp_path: Path) -> None:
    write_article(tmp_path, "a.md", "id: a\ntitle: A", "Body")
    write_article(tmp_path, "b.md", "id: b\nurl: /b", "Body")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path)
    assert len(caught.value.findings) == 2
    assert "2 errors in the knowledge base" in str(caught.value)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="does not exist"):
        load_knowledge_base(tmp_path / "nope")


def test_sample_knowledge_base_is_valid_and_realistic() -> None:
    articles = load_knowledge_base(SAMPLE_KB)
    assert len(articles) >= 40
    assert {a.meta.locale for a in articles} == {"en", "de"}
    assert sum(bool(a.meta.pages) for a in articles) > 0.8 * len(articles)
    assert all(a.body.count("\n## ") >= 3 for a in articles)
    areas = {a.path.relative_to(SAMPLE_KB).parts[0] for a in articles}
    assert {"billing", "account", "onboarding", "integrations", "data", "troubleshooting"} <= areas
