"""Sections of an article: its markdown split at headings, rendered to safe HTML.

Each section keeps its heading path (``["Billing", "Change the card"]``) and an
anchor, the ``id`` of its heading in the rendered HTML, so that a citation can
deep-link to ``url#anchor``. Headings are ATX headings (``## Title``) outside
fenced code blocks. A leading ``# H1`` that repeats the article title is not
part of the section path.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import markdown
import nh3

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_INLINE_MARKUP = re.compile(r"[*_`\[<&\\]")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_MD_EXTENSIONS = ["extra", "sane_lists"]
_ALLOWED_ATTRIBUTES = {
    **{f"h{level}": {"id"} for level in range(1, 7)},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "code": {"class"},
}


@dataclass(frozen=True)
class Section:
    """One heading and the text under it, up to the next heading."""

    path: tuple[str, ...]  # heading texts from the top; () for the intro
    level: int  # heading level, 0 for the intro
    anchor: str  # "" for the intro
    line: int  # line in the file where the section starts
    markdown: str  # the body under the heading (without the heading line)
    html: str  # sanitized HTML: heading and body
    text: str  # plain text of the body, for embedding and search

    @property
    def title(self) -> str:
        return self.path[-1] if self.path else ""


def slugify(text: str) -> str:
    """The anchor for a heading: lower case, punctuation dropped, spaces to ``-``."""
    text = unicodedata.normalize("NFKC", _plain_heading(text)).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s-]+", "-", text).strip("-") or "section"


def _plain_heading(text: str) -> str:
    """Heading text without inline markdown (emphasis, code, links)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`]", "", text).strip()


def sanitize_html(fragment: str) -> str:
    """Strip everything from rendered HTML that could run script or change the page."""
    return nh3.clean(
        fragment,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, whitespace collapsed."""
    text = nh3.clean(
        re.sub(r"<(/?)(p|li|h\d|tr|br|pre|blockquote)\b", r" <\1\2", fragment), tags=set()
    )
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


_renderers = threading.local()  # a Markdown instance is reusable but not thread-safe


def render_markdown(source: str) -> str:
    """Markdown to sanitized HTML."""
    renderer = getattr(_renderers, "markdown", None)
    if renderer is None:
        renderer = markdown.Markdown(extensions=_MD_EXTENSIONS, output_format="html")
        _renderers.markdown = renderer
    return sanitize_html(renderer.reset().convert(source))


def split_sections(
    body: str,
    *,
    title: str,
    first_line: int = 1,
    rewrite_links: Callable[[str], str] | None = None,
) -> list[Section]:
    """Split an article body into sections by heading, in document order."""
    raw: list[tuple[int, str, int, list[str]]] = []  # (level, heading, line, body lines)
    current: tuple[int, str, int, list[str]] = (0, "", first_line, [])
    fence: str | None = None
    for offset, text_line in enumerate(body.splitlines()):
        fence_match = _FENCE.match(text_line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
        found = None if fence else _HEADING.match(text_line)
        if found:
            raw.append(current)
            current = (len(found.group(1)), found.group(2), first_line + offset, [])
        else:
            current[3].append(text_line)
    raw.append(current)

    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    used_anchors: dict[str, int] = {}
    for index, (level, heading, line, lines) in enumerate(raw):
        source = "\n".join(lines).strip("\n")
        if rewrite_links is not None:
            source = rewrite_links(source)
        if level == 0:
            if not source.strip():
                continue
            sections.append(_build((), 0, "", line, source, ""))
            continue
        plain = _plain_heading(heading)
        if index == 1 and level == 1 and plain.casefold() == title.strip().casefold():
            # "# Title" repeating the front matter: its text is the intro.
            stack = []
            anchor = ""
            path: tuple[str, ...] = ()
        else:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, plain))
            path = tuple(text for _, text in stack)
            anchor = slugify(heading)
            count = used_anchors.get(anchor, 0)
            used_anchors[anchor] = count + 1
            if count:
                anchor = f"{anchor}-{count}"
        sections.append(_build(path, level, anchor, line, source, heading))
    return sections


def _build(
    path: tuple[str, ...], level: int, anchor: str, line: int, source: str, heading: str
) -> Section:
    body_html = render_markdown(source) if source.strip() else ""
    heading_html = ""
    if heading and anchor:
        inline = (
            render_markdown(heading).removeprefix("<p>").removesuffix("</p>")
            if _INLINE_MARKUP.search(heading)
            else html.escape(heading, quote=False)
        )
        heading_html = f'<h{level} id="{html.escape(anchor)}">{inline}</h{level}>\n'
    return Section(
        path=path,
        level=level,
        anchor=anchor,
        line=line,
        markdown=source,
        html=heading_html + body_html,
        text=html_to_text(body_html),
    )
