"""Learning from agents: the public reply that solved a ticket, attached to the knowledge-base
gap its session ended in.

When a helpdesk ticket that Frontdesk handed off is solved, and its session asked a question
the knowledge base did not answer (a gap question already in a cluster), the agent's newest
public reply (redacted and reduced to plain text on arrival, `server.helpdesk.store`) is
attached to that gap cluster, once per ticket; a session with gaps in several clusters
gives it to the one it asked most. The gap page shows how often agents resolved the gap
and their replies, and the cluster's draft article is prefilled from them.

A support lead accepts the suggestion (the draft is downloaded as a `kb_articles/` file) or
rejects it; either way its replies leave the draft. A suggestion nobody reviews within
`suggestion_max_age_days` of being attached expires: its reply text is dropped.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, exists, func, select, update

from server.events.visitors import VisitorTrace
from server.platform.database import upsert_insert, writer_lock
from server.platform.days import DAY_MS
from server.tables import events, gap_questions, gap_resolutions, helpdesk_tickets

PENDING, ACCEPTED, REJECTED, EXPIRED = "pending", "accepted", "rejected", "expired"
SHOWN_REPLIES = 5
Decision = Literal["accept", "reject"]


@dataclass
class AgentReplies:
    resolved: int = 0  # times agents solved a ticket from this gap (pending or accepted)
    replies: list[str] = field(default_factory=list)  # the unreviewed ones, newest first
    pending: int = 0


class Resolutions:
    def __init__(self, engine: Engine, max_age_days: int = 30) -> None:
        self.engine = engine
        self.max_age_ms = max_age_days * DAY_MS

    def attach(self, now: int | None = None) -> int:
        """Attach the replies of tickets solved since the age limit that are not attached yet;
        returns how many were attached."""
        now = now or int(time.time() * 1000)
        ticket = helpdesk_tickets.c
        attached = exists().where(
            gap_resolutions.c.source == ticket.source,
            gap_resolutions.c.ticket_id == ticket.ticket_id,
        )
        found = self._gaps_of(
            now, [ticket.solved_at >= now - self.max_age_ms, ticket.reply.is_not(None), ~attached]
        )
        if not found:
            return 0
        with writer_lock(self.engine), self.engine.begin() as db:
            return len(
                db.execute(
                    upsert_insert(self.engine, gap_resolutions)
                    .on_conflict_do_nothing(index_elements=["source", "ticket_id"])
                    .returning(gap_resolutions.c.ticket_id),
                    found,
                ).all()
            )

    def relink(self) -> int:
        """After the clusters were rebuilt: reviewed suggestions follow their questions to
        the clusters' new ids; returns how many moved."""
        ticket = helpdesk_tickets.c
        reviewed = exists().where(
            gap_resolutions.c.source == ticket.source,
            gap_resolutions.c.ticket_id == ticket.ticket_id,
            gap_resolutions.c.state != PENDING,
        )
        moved = 0
        with writer_lock(self.engine), self.engine.begin() as db:
            for row in self._gaps_of(0, [reviewed]):
                moved += db.execute(
                    update(gap_resolutions)
                    .where(
                        gap_resolutions.c.source == row["source"],
                        gap_resolutions.c.ticket_id == row["ticket_id"],
                    )
                    .values(cluster_id=row["cluster_id"])
                ).rowcount
        return moved

    def _gaps_of(self, now: int, conditions: list[Any]) -> list[dict[str, Any]]:
        """Solved tickets (matching the conditions) whose session asked a clustered gap
        question: each with the cluster its session asked most."""
        ticket = helpdesk_tickets.c
        keys = (
            ticket.source,
            ticket.ticket_id,
            ticket.visitor_id,
            ticket.reply,
            ticket.solved_at,
            gap_questions.c.cluster_id,
        )
        with self.engine.connect() as db:
            rows = db.execute(
                select(*keys, func.count())
                .select_from(
                    helpdesk_tickets.join(events, events.c.session_id == ticket.session_id).join(
                        gap_questions, gap_questions.c.event_id == events.c.id
                    )
                )
                .where(
                    ticket.solved_at.is_not(None),
                    gap_questions.c.cluster_id.is_not(None),
                    *conditions,
                )
                .group_by(*keys)
            ).all()
        best: dict[tuple[str, str], tuple[int, int]] = {}
        found = {}
        for source, ticket_id, visitor_id, reply, solved_at, cluster_id, n in rows:
            key = (source, ticket_id)
            if key not in best or (n, -cluster_id) > best[key]:
                best[key] = (n, -cluster_id)
                found[key] = {
                    "source": source,
                    "ticket_id": ticket_id,
                    "cluster_id": cluster_id,
                    "visitor_id": visitor_id,
                    "reply": reply,
                    "solved_at": solved_at,
                    "state": PENDING,
                    "attached_at": now,
                }
        return list(found.values())

    def expire(self, now: int | None = None) -> int:
        """Unreviewed suggestions older than the age limit expire; their text goes."""
        now = now or int(time.time() * 1000)
        with writer_lock(self.engine), self.engine.begin() as db:
            done = db.execute(
                update(gap_resolutions)
                .where(
                    gap_resolutions.c.state == PENDING,
                    gap_resolutions.c.attached_at < now - self.max_age_ms,
                )
                .values(state=EXPIRED, reply="", reviewed_at=now)
            )
        return int(done.rowcount)

    def review(self, cluster_id: int, decision: Decision, now: int | None = None) -> int:
        """Accept or reject the cluster's unreviewed suggestion; how many replies it held."""
        now = now or int(time.time() * 1000)
        with writer_lock(self.engine), self.engine.begin() as db:
            done = db.execute(
                update(gap_resolutions)
                .where(
                    gap_resolutions.c.cluster_id == cluster_id,
                    gap_resolutions.c.state == PENDING,
                )
                .values(state=ACCEPTED if decision == "accept" else REJECTED, reviewed_at=now)
            )
        return int(done.rowcount)

    @staticmethod
    def reset(db: Connection) -> None:
        """Before the gap clusters are rebuilt (their ids change): the unreviewed suggestions
        go (they are attached again to the new clusters); reviewed ones stay, so a rejected
        reply is not suggested again."""
        db.execute(delete(gap_resolutions).where(gap_resolutions.c.state == PENDING))

    @staticmethod
    def forget(db: Connection, visitor: VisitorTrace) -> int:
        deleted = db.execute(
            delete(gap_resolutions).where(gap_resolutions.c.visitor_id == visitor.id)
        )
        return int(deleted.rowcount)


def agent_replies(engine: Engine, cluster_ids: Collection[int]) -> dict[int, AgentReplies]:
    """For each cluster: how often agents resolved it, and the unreviewed replies."""
    out: dict[int, AgentReplies] = defaultdict(AgentReplies)
    if not cluster_ids:
        return out
    with engine.connect() as db:
        rows = db.execute(
            select(
                gap_resolutions.c.cluster_id,
                gap_resolutions.c.state,
                gap_resolutions.c.reply,
            )
            .where(
                gap_resolutions.c.cluster_id.in_(sorted(cluster_ids)),
                gap_resolutions.c.state.in_([PENDING, ACCEPTED]),
            )
            .order_by(gap_resolutions.c.solved_at.desc())
        ).all()
    seen: dict[int, Counter[str]] = defaultdict(Counter)
    for cluster_id, state, reply in rows:
        entry = out[cluster_id]
        entry.resolved += 1
        if state == PENDING:
            entry.pending += 1
            if reply not in seen[cluster_id] and len(entry.replies) < SHOWN_REPLIES:
                entry.replies.append(reply)
            seen[cluster_id][reply] += 1
    return out
