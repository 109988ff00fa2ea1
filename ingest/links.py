"""Links between articles: finding them, resolving them, and spotting broken ones.

Writers link to another article either by its help-center ``url``
(``[invoices](/help/billing/invoices#download-a-pdf)``) or by its file
(``[invoices](../billing/invoices.md)``). File links are rewritten to the
article's ``url`` when rendering. A link is *internal* when it is a ``.md``
file or a path under a folder that article URLs live in (``/help/...``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ingest.articles import Article

_LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


@dataclass(frozen=True)
class Link:
    target: str
    line: int


def links_in(article: Article) -> Iterator[Link]:
    """Every markdown link in the body of ``article``, with its line in the file."""
    in_fence = False
    for offset, line in enumerate(article.body.splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for match in _LINK.finditer(line):
            yield Link(match.group(1), article.body_line + offset)


class LinkResolver:
    """Knows every article's file and URL, so links can be resolved and checked."""

    def __init__(self, articles: list[Article], kb_dir: Path) -> None:
        self._kb_dir = kb_dir.resolve()
        self._by_file = {a.path.resolve(): a for a in articles}
        self._by_url = {urlsplit(a.meta.url).path.rstrip("/"): a for a in articles}
        self._url_roots = {self._root(a.meta.url) for a in articles} - {""}

    @staticmethod
    def _root(url: str) -> str:
        """The first folder of an article URL: "/help/billing/x" -> "/help"."""
        first = urlsplit(url).path.strip("/").split("/")[0]
        return f"/{first}" if first else ""

    def is_internal(self, target: str) -> bool:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            return False
        if parts.path.endswith(".md"):
            return True
        return parts.path.startswith("/") and any(
            parts.path.startswith(root + "/") for root in self._url_roots
        )

    def resolve(self, source: Article, target: str) -> tuple[Article | None, str]:
        """The article a link points at (or None) and the fragment it names."""
        parts = urlsplit(target)
        if parts.path.endswith(".md"):
            if parts.path.startswith("/"):
                path = self._kb_dir / parts.path.lstrip("/")
            else:
                base = posixpath.dirname(source.path.resolve().as_posix())
                path = Path(posixpath.normpath(posixpath.join(base, parts.path)))
            return self._by_file.get(path.resolve()), parts.fragment
        return self._by_url.get(parts.path.rstrip("/")), parts.fragment

    def rewrite(self, source: Article, markdown_text: str) -> str:
        """Replace links to ``.md`` files with the URL of the article they point at."""

        def replace(match: re.Match[str]) -> str:
            target = match.group(1)
            if not urlsplit(target).path.endswith(".md"):
                return match.group(0)
            article, fragment = self.resolve(source, target)
            if article is None:
                return match.group(0)
            url = article.meta.url + (f"#{fragment}" if fragment else "")
            return match.group(0).replace(target, url, 1)

        return _LINK.sub(replace, markdown_text)

    def link_targets(self, source: Article) -> list[str]:
        """URLs of the articles ``source`` links to (they shape its rendered HTML)."""
        urls = []
        for link in links_in(source):
            if urlsplit(link.target).path.endswith(".md"):
                article, _ = self.resolve(source, link.target)
                urls.append(article.meta.url if article else "")
        return urls
