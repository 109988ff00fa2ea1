"""Knowledge-base gaps: the questions the KB did not answer, grouped by meaning.

A gap is a question that got `no_answer`, only `suggested` articles, or an answer the
user marked "No". The scheduled job copies new gaps into `gap_questions`, embeds them and
puts each into the nearest cluster whose centroid is at least `similarity` (cosine)
away, or starts a new cluster (leader clustering: a cluster keeps its id, so trends
and counts stay comparable from one week to the next).

`summarize` lists the clusters of a date range and page set with their counts, trend,
example questions, pages and a draft article a docs writer can copy into `kb_articles/`.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from sqlalchemy import Engine, func, select, update

from ingest.pages import page_path
from server.daily_counts import DAY_MS, day_of, normalize_question
from server.database import upsert_insert, writer_lock
from server.tables import events, gap_clusters, gap_questions

Embed = Callable[[list[str]], Sequence[Sequence[float]]]
GAP_STATUSES = ("no_answer", "suggested")
CLUSTER_BATCH = 2000
QUESTION_COLUMNS = (
    events.c.id,
    events.c.session_id,
    events.c.page_url,
    events.c.route,
    events.c.ts,
    events.c.data,
)


class GapFinder:
    def __init__(self, engine: Engine, embed: Embed, similarity: float = 0.5) -> None:
        self.engine = engine
        self.embed = embed
        self.similarity = similarity

    def collect(self, received_since: int = 0) -> int:
        """Copy the gaps among the events received since then; returns how many were new."""
        with self.engine.connect() as db:
            asked = db.execute(
                select(*QUESTION_COLUMNS).where(
                    events.c.type == "question_asked", events.c.received_at >= received_since
                )
            ).all()
            rejected = db.execute(
                select(events.c.session_id, events.c.data).where(
                    events.c.type == "feedback", events.c.received_at >= received_since
                )
            ).all()
            # an answer marked "No": find its question, which may have come in earlier
            wanted = {
                (r.session_id, r.data.get("request_id"))
                for r in rejected
                if r.data.get("helpful") is False and r.data.get("request_id")
            }
            sessions = {s for s, _ in wanted} - {r.session_id for r in asked}
            earlier: list[Any] = []
            for chunk in _chunks(sorted(sessions), 500):
                earlier += db.execute(
                    select(*QUESTION_COLUMNS).where(
                        events.c.type == "question_asked", events.c.session_id.in_(chunk)
                    )
                ).all()
        rows: dict[str, dict[str, Any]] = {}
        for row in [*asked, *earlier]:
            status = row.data.get("status")
            if status in GAP_STATUSES:
                reason = status
            elif (row.session_id, row.data.get("request_id")) in wanted:
                reason = "not_helpful"
            else:
                continue
            rows[row.id] = {
                "event_id": row.id,
                "day": day_of(row.ts),
                "page": row.route or page_path(row.page_url),
                "question": row.data["question"],
                "reason": reason,
                "cluster_id": None,
            }
        if not rows:
            return 0
        new = 0
        with writer_lock(self.engine), self.engine.begin() as db:
            for chunk in _chunks(list(rows.values()), 1000):
                new += len(
                    db.execute(
                        upsert_insert(self.engine, gap_questions)
                        .on_conflict_do_nothing(index_elements=["event_id"])
                        .returning(gap_questions.c.event_id),
                        chunk,
                    ).all()
                )
        return new

    def cluster_pending(self) -> int:
        """Put every gap without a cluster into one; returns how many were placed."""
        placed = 0
        while True:
            with self.engine.connect() as db:
                pending = db.execute(
                    select(gap_questions.c.event_id, gap_questions.c.question)
                    .where(gap_questions.c.cluster_id.is_(None))
                    .limit(CLUSTER_BATCH)
                ).all()
                clusters = db.execute(
                    select(gap_clusters.c.id, gap_clusters.c.centroid, gap_clusters.c.size)
                ).all()
            if not pending:
                return placed
            by_text: dict[str, list[str]] = defaultdict(list)
            for event_id, question in pending:
                by_text[normalize_question(question)].append(event_id)
            texts = sorted(by_text)
            vectors = _unit(np.asarray(self.embed(texts), dtype=np.float32))
            ids = [c.id for c in clusters]
            sizes = [c.size for c in clusters]
            dim = vectors.shape[1]
            centroids = [np.frombuffer(c.centroid, dtype=np.float32) for c in clusters]
            matrix = np.vstack(centroids) if centroids else np.zeros((0, dim), np.float32)
            assigned: dict[str, int] = {}  # text -> index into ids/sizes/matrix
            for text, vector in zip(texts, vectors, strict=True):
                best = int(np.argmax(matrix @ vector)) if len(matrix) else -1
                if best >= 0 and float(matrix[best] @ vector) >= self.similarity:
                    weight = len(by_text[text])
                    merged = matrix[best] * sizes[best] + vector * weight
                    matrix[best] = merged / np.linalg.norm(merged)
                    sizes[best] += weight
                else:
                    ids.append(-1)  # a new cluster, numbered when stored
                    sizes.append(len(by_text[text]))
                    matrix = np.vstack([matrix, vector[None, :]])
                    best = len(ids) - 1
                assigned[text] = best
            placed += self._store(ids, sizes, matrix, by_text, assigned)

    def _store(
        self,
        ids: list[int],
        sizes: list[int],
        matrix: npt.NDArray[np.float32],
        by_text: dict[str, list[str]],
        assigned: dict[str, int],
    ) -> int:
        now = int(time.time() * 1000)
        with writer_lock(self.engine), self.engine.begin() as db:
            for index, cluster_id in enumerate(ids):
                centroid = matrix[index].astype(np.float32).tobytes()
                if cluster_id == -1:
                    ids[index] = int(
                        db.execute(
                            gap_clusters.insert()
                            .values(centroid=centroid, size=sizes[index], created_at=now)
                            .returning(gap_clusters.c.id)
                        ).scalar_one()
                    )
                else:
                    db.execute(
                        update(gap_clusters)
                        .where(gap_clusters.c.id == cluster_id)
                        .values(centroid=centroid, size=sizes[index])
                    )
            for text, index in assigned.items():
                for chunk in _chunks(by_text[text], 500):
                    db.execute(
                        update(gap_questions)
                        .where(gap_questions.c.event_id.in_(chunk))
                        .values(cluster_id=ids[index])
                    )
        return sum(len(by_text[t]) for t in assigned)


# -- what the dashboard shows ---------------------------------------------------------------


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


def summarize(
    engine: Engine,
    first_day: int,
    last_day: int,
    pages: Collection[str] | None,
    limit: int = 25,
) -> list[GapCluster]:
    """The clusters with gaps in [first_day, last_day] (on these pages), largest first."""
    where = [gap_questions.c.day >= first_day, gap_questions.c.day <= last_day]
    where.append(gap_questions.c.cluster_id.is_not(None))
    if pages is not None:
        where.append(gap_questions.c.page.in_(list(pages)))
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
    day = datetime.fromtimestamp(last_day * DAY_MS / 1000, UTC).date().isoformat()
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


def _unit(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: npt.NDArray[np.float32] = vectors / np.maximum(norms, 1e-12)
    return unit


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
