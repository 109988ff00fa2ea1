"""Chunks: the retrievable pieces of an article.

An article becomes one chunk per section (long sections are split into pieces
of at most ``max_words`` words that overlap by ``overlap_words``), plus one
chunk per sample question in its front matter, which acts as an extra retrieval
key for the article, plus one heading chunk per section: the article title and
the section's heading path alone. Headings take no part in ranking; how close a
question comes to a heading tells the decision whether the article is *about* it
or only mentions it (server/decision.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Literal

from ingest.articles import Article
from ingest.links import LinkResolver
from ingest.sections import Section, split_sections

ChunkKind = Literal["section", "question", "heading"]
SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class ChunkingOptions:
    max_words: int = 180
    overlap_words: int = 30

    def recipe(self) -> str:
        """Changes whenever the chunks of an unchanged file would change."""
        return f"chunks:max={self.max_words}:overlap={self.overlap_words}"


@dataclass(frozen=True)
class Chunk:
    """A piece of an article, with everything a citation needs."""

    article_id: str
    kind: ChunkKind
    position: int  # order within the article
    title: str
    url: str
    section: str  # heading path joined with " > ", "" for the intro and for questions
    anchor: str
    pages: tuple[str, ...]
    locale: str
    tags: tuple[str, ...]
    updated: str
    article_hash: str
    text: str  # the passage (or the question) as shown to users
    html: str  # sanitized HTML of the whole section on its first piece, else ""

    @property
    def id(self) -> str:
        return f"{self.article_id}::{self.kind[0]}{self.position:04d}"

    @property
    def deep_link(self) -> str:
        return f"{self.url}#{self.anchor}" if self.anchor else self.url

    @property
    def embedding_text(self) -> str:
        """What the model sees: the passage in the context of its article and section."""
        if self.kind == "question":
            return self.text
        if self.kind == "heading":
            path = self.section.split(SECTION_SEPARATOR) if self.section else []
            return ". ".join([self.title, *path])
        heading = f"{self.title}{SECTION_SEPARATOR}{self.section}" if self.section else self.title
        return f"{heading}\n{self.text}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embedding_text.encode("utf-8")).hexdigest()


def split_words(text: str, max_words: int, overlap_words: int) -> list[str]:
    """Split text into pieces of at most ``max_words`` words, overlapping by ``overlap_words``."""
    words = text.split()
    if len(words) <= max_words:
        return [" ".join(words)] if words else []
    step = max_words - overlap_words
    pieces = []
    for start in range(0, len(words), step):
        pieces.append(" ".join(words[start : start + max_words]))
        if start + max_words >= len(words):
            break
    return pieces


def article_hash(article: Article, resolver: LinkResolver, options: ChunkingOptions) -> str:
    """Hash of everything that shapes an article's chunks: file, link targets, recipe."""
    digest = hashlib.sha256()
    for part in (article.raw_sha256, options.recipe(), *resolver.link_targets(article)):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def article_sections(article: Article, resolver: LinkResolver) -> list[Section]:
    return split_sections(
        article.body,
        title=article.meta.title,
        first_line=article.body_line,
        rewrite_links=lambda source: resolver.rewrite(article, source),
    )


def chunk_article(
    article: Article, resolver: LinkResolver, options: ChunkingOptions
) -> list[Chunk]:
    meta = article.meta
    digest = article_hash(article, resolver, options)
    common = {
        "article_id": meta.id,
        "title": meta.title,
        "url": meta.url,
        "pages": tuple(meta.pages),
        "locale": meta.locale,
        "tags": tuple(meta.tags),
        "updated": meta.updated.isoformat() if meta.updated else "",
        "article_hash": digest,
    }
    chunks: list[Chunk] = []
    pending_html = ""  # headings with no text of their own ride on the next chunk
    for section in article_sections(article, resolver):
        pieces = split_words(section.text, options.max_words, options.overlap_words)
        if not pieces:
            pending_html += section.html
            continue
        for number, piece in enumerate(pieces):
            chunks.append(
                Chunk(
                    kind="section",
                    position=len(chunks),
                    section=SECTION_SEPARATOR.join(section.path),
                    anchor=section.anchor,
                    text=piece,
                    html=pending_html + section.html if number == 0 else "",
                    **common,  # type: ignore[arg-type]
                )
            )
            pending_html = ""
    if pending_html and chunks:
        chunks[-1] = replace(chunks[-1], html=chunks[-1].html + pending_html)
    headings = dict.fromkeys((c.section, c.anchor) for c in chunks)
    for number, (path, anchor) in enumerate(headings):
        chunks.append(
            Chunk(
                kind="heading",
                position=number,
                section=path,
                anchor=anchor,
                text=f"{meta.title}{SECTION_SEPARATOR}{path}" if path else meta.title,
                html="",
                **common,  # type: ignore[arg-type]
            )
        )
    for number, question in enumerate(meta.questions):
        chunks.append(
            Chunk(
                kind="question",
                position=number,
                section="",
                anchor="",
                text=question,
                html="",
                **common,  # type: ignore[arg-type]
            )
        )
    return chunks
