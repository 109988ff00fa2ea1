"""Finding knowledge-base gaps: the questions the KB did not answer, grouped by meaning.

A gap is a question that got `no_answer`, only `suggested` articles, or an answer the
user marked "No". The scheduled job copies new gaps into `gap_questions`, embeds them and
puts each into the nearest cluster whose centroid is at least `similarity` (cosine)
away, or starts a new cluster (leader clustering: a cluster keeps its id, so trends
and counts stay comparable from one week to the next). `server.insights.gap_summary`
reads them for the dashboard.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, delete, func, select, update

from server.events.visitors import VisitorTrace
from server.fields import page_key
from server.insights.daily_counts import normalize_question
from server.platform.database import upsert_insert, writer_lock
from server.platform.days import day_of
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
                "page": page_key(row.route, row.page_url),
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

    @staticmethod
    def forget(db: Connection, visitor: VisitorTrace) -> int:
        """Delete the visitor's gap questions; clusters left empty go too, the others keep
        the size of what is left. Returns how many questions were deleted."""
        ids = sorted(visitor.event_ids)
        deleted = 0
        for chunk in _chunks(ids, 500):
            deleted += int(
                db.execute(
                    delete(gap_questions).where(gap_questions.c.event_id.in_(chunk))
                ).rowcount
            )
        if deleted:
            remaining = (
                select(func.count())
                .where(gap_questions.c.cluster_id == gap_clusters.c.id)
                .scalar_subquery()
            )
            db.execute(update(gap_clusters).values(size=remaining))
            db.execute(delete(gap_clusters).where(gap_clusters.c.size == 0))
        return deleted


def _unit(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: npt.NDArray[np.float32] = vectors / np.maximum(norms, 1e-12)
    return unit


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
