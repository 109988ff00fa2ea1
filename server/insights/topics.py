"""What a session was about: the articles it cited and the knowledge-base gap clusters of its
questions. Durable deflection compares a deflected session's topics with a later ticket's;
the tracker files one issue per gap cluster.

- cited articles: the articles of the answers shown and the articles opened;
- gap clusters: the clusters of the session's gap questions (`no_answer`, only
  `suggested`, or an answer marked "No"), in the order they were asked. A gap question the
  statistics job has not clustered yet makes the topics `pending`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from server.insights.gap_finder import GAP_STATUSES
from server.tables import events, gap_questions

CHUNK = 500


@dataclass(frozen=True)
class Topics:
    articles: frozenset[str]
    clusters: tuple[int, ...]  # oldest question first, each cluster once
    pending: bool  # a gap question not in a cluster yet


NONE = Topics(frozenset(), (), False)


def session_topics(db: Connection, session_ids: Iterable[str]) -> dict[str, Topics]:
    """The topics of these sessions (sessions without events have none)."""
    ids = sorted(set(session_ids))
    found: dict[str, Topics] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = db.execute(
            select(events.c.id, events.c.session_id, events.c.type, events.c.data)
            .where(
                events.c.session_id.in_(chunk),
                events.c.type.in_(("question_asked", "answer_shown", "article_opened", "feedback")),
            )
            .order_by(events.c.session_id, events.c.ts, events.c.id)
        ).all()
        articles: dict[str, set[str]] = defaultdict(set)
        questions: dict[str, list[tuple[str, str | None, str]]] = defaultdict(list)
        rejected: set[tuple[str, str]] = set()
        for row in rows:
            data = row.data
            if row.type in ("answer_shown", "article_opened"):
                articles[row.session_id].add(data["article_id"])
            elif row.type == "question_asked":
                questions[row.session_id].append((row.id, data.get("request_id"), data["status"]))
            elif data.get("helpful") is False and data.get("request_id"):
                rejected.add((row.session_id, data["request_id"]))
        gaps = {
            session: [
                event_id
                for event_id, request_id, status in asked
                if status in GAP_STATUSES or (session, request_id) in rejected
            ]
            for session, asked in questions.items()
        }
        every_gap = [event_id for ids_ in gaps.values() for event_id in ids_]
        clusters: dict[str, int | None] = {}
        for part in range(0, len(every_gap), CHUNK):
            for event_id, cluster_id in db.execute(
                select(gap_questions.c.event_id, gap_questions.c.cluster_id).where(
                    gap_questions.c.event_id.in_(every_gap[part : part + CHUNK])
                )
            ):
                clusters[event_id] = cluster_id
        for session in set(articles) | set(gaps):
            asked = gaps.get(session, [])
            placed = [clusters.get(event_id) for event_id in asked]
            found[session] = Topics(
                frozenset(articles.get(session, ())),
                tuple(dict.fromkeys(c for c in placed if c is not None)),
                any(c is None for c in placed),
            )
    return found


@dataclass(frozen=True)
class GapClusters:
    """The tracker's question: which gap cluster a ticket's session ended in."""

    engine: Engine

    def __call__(self, session_id: str) -> tuple[int | None, bool]:
        """The cluster of the session's last clustered gap question (None: none), and whether
        some gap question of it is still waiting for a cluster."""
        with self.engine.connect() as db:
            topics = session_topics(db, [session_id]).get(session_id, NONE)
        return (topics.clusters[-1] if topics.clusters else None), topics.pending
