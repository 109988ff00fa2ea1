"""Chunks: one per section (split when long), plus one per sample question."""

from __future__ import annotations

from pathlib import Path

from ingest.articles import parse_article
from ingest.chunking import ChunkingOptions, chunk_article, split_words
from ingest.links import LinkResolver
from tests.conftest import write_article

FRONT = """id: imports
title: Import tasks from CSV
url: /help/data/csv-import
pages: [/import*]
locale: en
tags: [data]
updated: 2026-01-02
questions: [how do I import a csv]"""


def test_long_text_is_split_with_overlap_and_no_piece_over_the_limit() -> None:
    words = [f"w{i}" for i in range(100)]
    pieces = split_words(" ".join(words), max_words=40, overlap_words=10)
    assert [len(p.split()) for p in pieces] == [40, 40, 40]
    assert pieces[0].split()[-10:] == pieces[1].split()[:10]
    assert pieces[-1].split()[-1] == "w99"


def test_chunks_carry_everything_a_citation_needs(tmp_path: Path) -> None:
    long_section = " ".join(f"word{i}" for i in range(100))
    path = write_article(
        tmp_path,
        "csv.md",
        FRONT,
        f"Intro.\n\n## Columns\n\n{long_section}\n\n## Limits\n\n10 MB.\n",
    )
    article = parse_article(path)
    chunks = chunk_article(
        article, LinkResolver([article], tmp_path), ChunkingOptions(max_words=50, overlap_words=10)
    )
    sections = [c for c in chunks if c.kind == "section"]
    assert [(c.section, c.anchor) for c in sections] == [
        ("", ""),
        ("Columns", "columns"),
        ("Columns", "columns"),
        ("Columns", "columns"),
        ("Limits", "limits"),
    ]
    assert sections[1].html.startswith('<h2 id="columns">') and sections[2].html == ""
    assert sections[4].deep_link == "/help/data/csv-import#limits"
    assert sections[4].embedding_text == "Import tasks from CSV > Limits\n10 MB."
    (question,) = [c for c in chunks if c.kind == "question"]
    assert question.text == "how do I import a csv" and question.embedding_text == question.text
    for chunk in chunks:
        assert (
            chunk.article_id,
            chunk.title,
            chunk.pages,
            chunk.locale,
            chunk.tags,
            chunk.updated,
        ) == ("imports", "Import tasks from CSV", ("/import*",), "en", ("data",), "2026-01-02")
        assert len(chunk.content_hash) == 64 and len(chunk.article_hash) == 64
    assert len({c.id for c in chunks}) == len(chunks)


def test_each_section_gets_one_heading_chunk_of_title_and_heading_path(tmp_path: Path) -> None:
    long_section = " ".join(f"word{i}" for i in range(100))
    path = write_article(
        tmp_path, "csv.md", FRONT, f"Intro.\n\n## Columns\n\n{long_section}\n\n### Dates\n\nISO.\n"
    )
    article = parse_article(path)
    chunks = chunk_article(
        article, LinkResolver([article], tmp_path), ChunkingOptions(max_words=50, overlap_words=10)
    )
    headings = [c for c in chunks if c.kind == "heading"]
    assert [(h.section, h.anchor, h.embedding_text) for h in headings] == [
        ("", "", "Import tasks from CSV"),
        ("Columns", "columns", "Import tasks from CSV. Columns"),
        ("Columns > Dates", "dates", "Import tasks from CSV. Columns. Dates"),
    ]
    assert [h.id for h in headings] == [f"imports::h{n:04d}" for n in range(3)]
    assert all(h.html == "" for h in headings)


def test_heading_without_text_rides_on_the_next_chunk(tmp_path: Path) -> None:
    path = write_article(tmp_path, "a.md", FRONT, "## Setup\n\n### Step one\n\nDo it.\n")
    article = parse_article(path)
    (section, _heading, _question) = chunk_article(
        article, LinkResolver([article], tmp_path), ChunkingOptions()
    )
    assert section.section == "Setup > Step one"
    assert section.html.startswith('<h2 id="setup">Setup</h2>\n<h3 id="step-one">')


def test_links_to_article_files_become_help_center_urls(tmp_path: Path) -> None:
    write_article(
        tmp_path,
        "billing/refunds.md",
        "id: refunds\ntitle: Refunds\nurl: /help/refunds",
        "## How long\n\n5 days.",
    )
    path = write_article(
        tmp_path, "data/csv.md", FRONT, "See [refunds](../billing/refunds.md#how-long)."
    )
    articles = [parse_article(p) for p in sorted(tmp_path.rglob("*.md"))]
    resolver = LinkResolver(articles, tmp_path)
    chunks = chunk_article(parse_article(path), resolver, ChunkingOptions())
    assert 'href="/help/refunds#how-long"' in chunks[0].html


def test_changing_the_chunking_recipe_changes_the_article_hash(tmp_path: Path) -> None:
    path = write_article(tmp_path, "a.md", FRONT, "Text.")
    article = parse_article(path)
    resolver = LinkResolver([article], tmp_path)
    first = chunk_article(article, resolver, ChunkingOptions(max_words=100))[0]
    second = chunk_article(article, resolver, ChunkingOptions(max_words=120))[0]
    assert first.article_hash != second.article_hash
    assert first.content_hash == second.content_hash
