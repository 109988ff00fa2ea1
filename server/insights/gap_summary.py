"""Knowledge-base gaps as the dashboard shows them: clusters with counts, trend, example
questions, pages, and a draft article a docs writer can copy into `kb_articles/`."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import Engine, func, select

from server.insights.daily_counts import normalize_question
from server.insights.resolutions import agent_replies
from server.insights.scope import Scope
from server.platform.days import day_date
from server.tables import gap_questions


@dataclass
class GapCluster:
    id: int
    title: str
    count: int
    this_week: int
    last_week: int
    trend: str  # "new", "up 40%", "down 10%", "flat"
    weekly: list[int]  # counts per week of the range, oldest first
    reasons: dict[str, int]
    questions: list[tuple[str, int]]  # the most asked wordings, with counts
    pages: list[tuple[str, int]]
    draft: str = ""  # a KB article skeleton (markdown with front matter)
    days: dict[int, int] = field(default_factory=dict)
    resolved_by_agents: int = 0  # solved helpdesk tickets whose session ended in this gap
    agent_replies: list[str] = field(default_factory=list)  # unreviewed, newest first


def gap_conditions(
    first_day: int, last_day: int, pages: Collection[str] | None, clustered: bool = False
) -> list[Any]:
    """The conditions on `gap_questions` for these days and pages (None: every page), and
    only the questions already in a cluster if `clustered`."""
    where = [gap_questions.c.day >= first_day, gap_questions.c.day <= last_day]
    if clustered:
        where.append(gap_questions.c.cluster_id.is_not(None))
    if pages is not None:
        where.append(gap_questions.c.page.in_(sorted(pages)))
    return where


def summarize(
    engine: Engine,
    first_day: int,
    last_day: int,
    pages: Collection[str] | None,
    limit: int = 25,
    only: int | None = None,
) -> list[GapCluster]:
    """The clusters with gaps in [first_day, last_day] (on these pages), largest first (only
    the cluster `only`, if given)."""
    where = gap_conditions(first_day, last_day, pages, clustered=True)
    if only is not None:
        where.append(gap_questions.c.cluster_id == only)
    with engine.connect() as db:
        per_day = db.execute(
            select(gap_questions.c.cluster_id, gap_questions.c.day, func.count())
            .where(*where)
            .group_by(gap_questions.c.cluster_id, gap_questions.c.day)
        ).all()
        totals: Counter[int] = Counter()
        days: dict[int, dict[int, int]] = defaultdict(dict)
        for cluster_id, day, n in per_day:
            totals[cluster_id] += n
            days[cluster_id][day] = n
        top = [cluster_id for cluster_id, _ in totals.most_common(limit)]
        if not top:
            return []
        where.append(gap_questions.c.cluster_id.in_(top))
        wordings = db.execute(
            select(gap_questions.c.cluster_id, gap_questions.c.question, func.count())
            .where(*where)
            .group_by(gap_questions.c.cluster_id, gap_questions.c.question)
        ).all()
        places = db.execute(
            select(gap_questions.c.cluster_id, gap_questions.c.page, func.count())
            .where(*where)
            .group_by(gap_questions.c.cluster_id, gap_questions.c.page)
        ).all()
        why = db.execute(
            select(gap_questions.c.cluster_id, gap_questions.c.reason, func.count())
            .where(*where)
            .group_by(gap_questions.c.cluster_id, gap_questions.c.reason)
        ).all()
    questions: dict[int, Counter[str]] = defaultdict(Counter)
    for cluster_id, question, n in wordings:
        questions[cluster_id][normalize_question(question)] += n
    page_counts: dict[int, Counter[str]] = defaultdict(Counter)
    for cluster_id, page, n in places:
        page_counts[cluster_id][page] += n
    reasons: dict[int, dict[str, int]] = defaultdict(dict)
    for cluster_id, reason, n in why:
        reasons[cluster_id][reason] = n
    learned = agent_replies(engine, top)
    out = []
    for cluster_id in top:
        this_week = sum(n for d, n in days[cluster_id].items() if d > last_day - 7)
        last_week = sum(n for d, n in days[cluster_id].items() if last_day - 14 < d <= last_day - 7)
        wording = questions[cluster_id].most_common(6)
        where_asked = page_counts[cluster_id].most_common(5)
        cluster = GapCluster(
            id=cluster_id,
            title=article_title(wording[0][0]) if wording else f"Gap {cluster_id}",
            count=totals[cluster_id],
            this_week=this_week,
            last_week=last_week,
            trend=trend(this_week, last_week),
            weekly=weekly(days[cluster_id], first_day, last_day),
            reasons=reasons[cluster_id],
            questions=wording,
            pages=where_asked,
            days=days[cluster_id],
            resolved_by_agents=learned[cluster_id].resolved,
            agent_replies=learned[cluster_id].replies,
        )
        cluster.draft = draft_article(cluster, last_day)
        out.append(cluster)
    return out


def cluster_titles(
    engine: Engine, cluster_ids: Collection[int], first_day: int, last_day: int
) -> dict[int, str]:
    """Each cluster's title: its most asked wording in the days given."""
    if not cluster_ids:
        return {}
    with engine.connect() as db:
        rows = db.execute(
            select(gap_questions.c.cluster_id, gap_questions.c.question, func.count())
            .where(
                gap_questions.c.cluster_id.in_(list(cluster_ids)),
                gap_questions.c.day >= first_day,
                gap_questions.c.day <= last_day,
            )
            .group_by(gap_questions.c.cluster_id, gap_questions.c.question)
        ).all()
    wordings: dict[int, Counter[str]] = defaultdict(Counter)
    for cluster_id, question, n in rows:
        wordings[cluster_id][normalize_question(question)] += n
    return {c: article_title(w.most_common(1)[0][0]) for c, w in wordings.items()}


def trend(this_week: int, last_week: int) -> str:
    if last_week == 0:
        return "new" if this_week else "flat"
    change = (this_week - last_week) / last_week
    if abs(change) < 0.1:
        return "flat"
    return f"{'up' if change > 0 else 'down'} {abs(change):.0%}"


def weekly(per_day: dict[int, int], first_day: int, last_day: int) -> list[int]:
    """Counts per 7-day bucket ending on last_day, oldest first."""
    buckets = [0] * ((last_day - first_day) // 7 + 1)
    for day, n in per_day.items():
        buckets[len(buckets) - 1 - (last_day - day) // 7] += n
    return buckets


def article_title(question: str) -> str:
    text = question.strip().rstrip("?!. ")
    return text[:1].upper() + text[1:] if text else "Untitled"


def slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:8]) or "new-article"


def draft_article(cluster: GapCluster, last_day: int) -> str:
    """A KB article skeleton: front matter in the KB's format and a section per question."""
    day = day_date(last_day).isoformat()
    asked = [q for q, _ in cluster.questions]
    front = {
        "id": slug(cluster.title),
        "title": cluster.title,
        "url": f"/help/{slug(cluster.title)}",
        "pages": [page for page, _ in cluster.pages[:3]],
        "locale": "en",
        "updated": day,
        "questions": asked[:5],
    }
    body = [f"<!-- {cluster.count} questions the knowledge base could not answer -->", ""]
    if cluster.agent_replies:
        # the answer agents gave, to edit into one (plain text: redacted, markup removed)
        body.append(_markdown_text(cluster.agent_replies[0]))
        for reply in cluster.agent_replies[1:]:
            body += ["", "> " + _markdown_text(reply).replace("\n", "\n> ")]
    else:
        body.append("Answer the question in the title in the first two sentences.")
    for question in asked[1:5]:
        body += ["", f"## {article_title(question)}", "", "TODO"]
    return (
        "---\n"
        + yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
        + "---\n"
        + "\n".join(body)
        + "\n"
    )


def _markdown_text(text: str) -> str:
    """An agent's plain-text reply as markdown that renders as that text: no HTML, no
    headings or front-matter fences at a line's start."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = []
    for line in escaped.split("\n"):
        if line.lstrip().startswith(("#", "---", "===", "```", "~~~")):
            line = "\\" + line.lstrip()
        lines.append(line)
    return "\n".join(lines)


def draft_file(cluster: GapCluster) -> str:
    """Where the draft goes in the knowledge base."""
    return f"kb_articles/{slug(cluster.title)}.md"


def one_cluster(engine: Engine, cluster_id: int, last_day: int) -> GapCluster | None:
    """A cluster over the year up to `last_day`, every page (for its draft), if it has gaps."""
    found = summarize(engine, last_day - 364, last_day, None, limit=1, only=cluster_id)
    return found[0] if found else None


def gaps(engine: Engine, scope: Scope, limit: int = 25) -> list[GapCluster]:
    return summarize(engine, scope.first_day, scope.last_day, scope.pages, limit)


def gaps_by_page(engine: Engine, scope: Scope) -> list[tuple[str, int, dict[str, int]]]:
    """(page, gaps, {reason: count}) for every page with gaps in the scope, most first."""
    where = gap_conditions(scope.first_day, scope.last_day, scope.pages)
    with engine.connect() as db:
        rows = db.execute(
            select(gap_questions.c.page, gap_questions.c.reason, func.count())
            .where(*where)
            .group_by(gap_questions.c.page, gap_questions.c.reason)
        ).all()
    per_page: dict[str, dict[str, int]] = defaultdict(dict)
    for page, reason, n in rows:
        per_page[page][reason] = int(n)
    return sorted(
        ((page, sum(r.values()), r) for page, r in per_page.items()), key=lambda x: (-x[1], x[0])
    )
