"""``frontdesk check``: everything wrong with a knowledge base, without writing anything.

Errors (the check fails): anything ingest would refuse, duplicate titles or URLs
in one locale, links to articles or sections that do not exist. Warnings: empty
sections and articles without ``pages``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ingest.articles import Article, parse_knowledge_base
from ingest.chunking import article_sections
from ingest.errors import Finding
from ingest.links import LinkResolver, links_in
from ingest.sections import Section


def check_knowledge_base(kb_dir: Path) -> list[Finding]:
    articles, findings = parse_knowledge_base(kb_dir)
    resolver = LinkResolver(articles, kb_dir)
    sections = {a.id: article_sections(a, resolver) for a in articles}
    findings += _duplicate_values(articles, "title")
    findings += _duplicate_values(articles, "url")
    for article in articles:
        findings += _broken_links(article, resolver, sections)
        findings += _empty_sections(article, sections[article.id])
        if not article.meta.pages:
            findings.append(
                Finding(
                    article.path,
                    article.line_of("title"),
                    "no `pages`: the article is never boosted on a product page",
                    "warning",
                )
            )
    return sorted(findings)


def _duplicate_values(articles: list[Article], key: str) -> list[Finding]:
    seen: dict[tuple[str, str], Article] = {}
    findings = []
    for article in articles:
        value = str(getattr(article.meta, key))
        first = seen.setdefault((article.meta.locale, value.casefold()), article)
        if first is not article:
            findings.append(
                Finding(
                    article.path,
                    article.line_of(key),
                    f"duplicate {key} {value!r} in locale {article.meta.locale!r} "
                    f"(also in {first.path}:{first.line_of(key)})",
                )
            )
    return findings


def _broken_links(
    article: Article, resolver: LinkResolver, sections: dict[str, list[Section]]
) -> list[Finding]:
    findings = []
    for link in links_in(article):
        if not resolver.is_internal(link.target):
            continue
        target, fragment = resolver.resolve(article, link.target)
        if target is None:
            findings.append(
                Finding(article.path, link.line, f"link to {link.target!r} points to no article")
            )
        elif fragment and fragment not in {s.anchor for s in sections[target.id]}:
            findings.append(
                Finding(
                    article.path,
                    link.line,
                    f"link to {link.target!r}: article {target.id!r} has no section #{fragment}",
                )
            )
    return findings


def _empty_sections(article: Article, sections: list[Section]) -> list[Finding]:
    findings = []
    for index, section in enumerate(sections):
        following = sections[index + 1] if index + 1 < len(sections) else None
        has_children = following is not None and following.level > section.level
        if section.level and not section.text and not has_children:
            findings.append(
                Finding(
                    article.path, section.line, f"section {section.title!r} is empty", "warning"
                )
            )
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for finding in findings:
        counts[finding.severity] += 1
    return dict(counts)
