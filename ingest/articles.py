"""Knowledge-base articles: reading ``kb_articles/**/*.md`` and validating front matter.

Every problem is reported as a :class:`~ingest.errors.Finding` with the file and
line it comes from, and all problems of a run are collected, not only the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.errors import Finding, KnowledgeBaseError
from ingest.pages import PatternError, validate_pattern

FRONT_MATTER_FENCE = "---"


class FrontMatter(BaseModel):
    """The keys an article may have in its front matter."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000)
    pages: list[str] = Field(default_factory=list)
    locale: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    tags: list[str] = Field(default_factory=list)
    updated: dt.date | None = None
    questions: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _url_is_path_or_http(cls, value: str) -> str:
        if not (value.startswith("/") or value.startswith(("http://", "https://"))):
            raise ValueError("must be a path starting with '/' or an http(s) URL")
        if any(ch.isspace() for ch in value):
            raise ValueError("must not contain whitespace")
        return value

    @field_validator("pages")
    @classmethod
    def _pages_are_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                validate_pattern(pattern)
            except PatternError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("tags", "questions")
    @classmethod
    def _no_empty_items(cls, value: list[str]) -> list[str]:
        if any(not item.strip() for item in value):
            raise ValueError("items must not be empty")
        if any(len(item) > 300 for item in value):
            raise ValueError("items must be at most 300 characters")
        return value


@dataclass(frozen=True)
class Article:
    """One parsed, valid article."""

    path: Path
    meta: FrontMatter
    body: str
    body_line: int  # line number (1-based) of the first body line in the file
    raw_sha256: str
    key_lines: dict[str, int]  # front-matter key -> line number in the file

    @property
    def id(self) -> str:
        return self.meta.id

    def line_of(self, key: str) -> int:
        """The line of a front-matter key (the opening fence when the key is absent)."""
        return self.key_lines.get(key, 1)


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


def _load_yaml(front_matter: str) -> tuple[Any, dict[str, int]]:
    """The front matter's data and the line (from 0) of each top-level key, in one pass."""
    loader = _Loader(front_matter)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        lines = {
            str(key.value): key.start_mark.line
            for key, _ in node.value
            if isinstance(key, yaml.ScalarNode)
        }
    return data, lines


def _split_front_matter(path: Path, text: str) -> tuple[str, str, int]:
    """Split a file into (front matter, body, body line). Raises a single-finding error."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise KnowledgeBaseError(
            [Finding(path, 1, "missing front matter: the file must start with a '---' line")]
        )
    for index in range(1, len(lines)):
        if lines[index].strip() == FRONT_MATTER_FENCE:
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise KnowledgeBaseError(
        [Finding(path, 1, "front matter is not closed: add a '---' line after it")]
    )


def _validation_findings(
    path: Path, exc: ValidationError, key_lines: dict[str, int], first_line: int
) -> list[Finding]:
    findings = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = loc[0] if loc else ""
        line = first_line + key_lines.get(key, 0) if key in key_lines else first_line - 1
        where = ".".join(loc) if loc else "front matter"
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(FrontMatter.model_fields)
            message = f"unknown key {key!r} (allowed: {allowed})"
        elif error["type"] == "missing":
            message = f"missing required key {key!r}"
        else:
            message = f"{where}: {error['msg'].removeprefix('Value error, ')}"
        findings.append(Finding(path, line, message))
    return findings


def parse_article(path: Path, display_path: Path | None = None) -> Article:
    """Read and validate one article. Raises :class:`KnowledgeBaseError` on problems."""
    shown = display_path or path
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KnowledgeBaseError([Finding(shown, line, "the file is not valid UTF-8")]) from None
    text = text.removeprefix("\ufeff")
    front_matter, body, body_line = _split_front_matter(shown, text)
    first_line = 2  # the front matter starts right after the opening fence
    try:
        data, lines = _load_yaml(front_matter)
    except yaml.YAMLError as exc:
        # Point at where the broken construct starts (an unclosed bracket or quote)
        # rather than where the parser gave up, which is often the end of the block.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if context and getattr(exc, "context_mark", None) is not None:
            problem = f"{problem} ({context})"
        raise KnowledgeBaseError([Finding(shown, line, f"invalid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise KnowledgeBaseError(
            [Finding(shown, first_line, "front matter must be a mapping of keys to values")]
        )
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeBaseError(_validation_findings(shown, exc, lines, first_line)) from None
    if not body.strip():
        raise KnowledgeBaseError([Finding(shown, body_line - 1, "the article has no text")])
    key_lines = {key: first_line + line for key, line in lines.items()}
    return Article(shown, meta, body, body_line, hashlib.sha256(raw).hexdigest(), key_lines)


def article_files(kb_dir: Path) -> list[Path]:
    """Every article file under ``kb_dir``, in a stable order (hidden folders skipped)."""
    return sorted(
        p
        for p in kb_dir.rglob("*.md")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(kb_dir).parts)
    )


def _duplicates(articles: Iterable[Article]) -> list[Finding]:
    findings: list[Finding] = []
    first_by_id: dict[str, Article] = {}
    for article in articles:
        other = first_by_id.setdefault(article.id, article)
        if other is not article:
            findings.append(
                Finding(
                    article.path,
                    article.line_of("id"),
                    f"duplicate id {article.id!r} (also in {other.path}:{other.line_of('id')})",
                )
            )
    return findings


class ParseCache:
    """Parsed articles by file, reused while the file's size and modification time stay."""

    def __init__(self) -> None:
        self._entries: dict[Path, tuple[tuple[int, int, int], Article]] = {}

    def parse(self, path: Path) -> Article:
        stat = path.stat()
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        cached = self._entries.get(path)
        if cached is not None and cached[0] == signature:
            return cached[1]
        article = parse_article(path)
        self._entries[path] = (signature, article)
        return article


def parse_knowledge_base(
    kb_dir: Path, cache: ParseCache | None = None
) -> tuple[list[Article], list[Finding]]:
    """Parse every article under ``kb_dir``: the valid articles and every problem found."""
    if not kb_dir.is_dir():
        return [], [
            Finding(kb_dir, 0, "the knowledge-base folder does not exist (FRONTDESK_KB_DIR)")
        ]
    parse = cache.parse if cache is not None else parse_article
    articles: list[Article] = []
    findings: list[Finding] = []
    for path in article_files(kb_dir):
        try:
            articles.append(parse(path))
        except KnowledgeBaseError as exc:
            findings.extend(exc.findings)
    findings.extend(_duplicates(articles))
    return articles, findings


def load_knowledge_base(kb_dir: Path, cache: ParseCache | None = None) -> list[Article]:
    """Parse every article under ``kb_dir``; raise one error listing every problem found."""
    articles, findings = parse_knowledge_base(kb_dir, cache)
    if findings:
        raise KnowledgeBaseError(findings)
    return articles
