"""Erasing a visitor: every concern that stores anything about visitors forgets them.

In one transaction: their tickets (with deliveries), what the helpdesk said about those
tickets (its events and the tickets' state, agents' replies included), what the statistics
derived from them (deflection log rows, prompt exposures, gap questions, reversed
deflections, agents' replies attached to gaps) and their events. Then the daily counts of
the days they were active are computed again without them. The statistics job is held off
meanwhile, so no pass writes back what it read before; a rebuild starts from the events,
which are gone. On SQLite, no copy is left in the data dir's files either.
"""

from __future__ import annotations

import logging

import msgspec
from sqlalchemy import Engine

from server.events.store import EventStore
from server.events.visitors import trace_visitor
from server.handoff.store import TicketStore
from server.helpdesk.store import HelpdeskStore
from server.insights.job import JOB, StatisticsJob
from server.platform.database import wipe_deleted, writer_lock

WAIT_FOR_JOB_SECONDS = 60
logger = logging.getLogger(__name__)


class VisitorErased(msgspec.Struct):
    visitor_id: str
    events: int
    tickets: int
    helpdesk_tickets: int
    deflections: int
    prompt_exposures: int
    gap_questions: int
    deflection_reversals: int
    gap_resolutions: int


def erase_visitor(engine: Engine, statistics: StatisticsJob, visitor_id: str) -> VisitorErased:
    with statistics.locks.hold(JOB, wait=WAIT_FOR_JOB_SECONDS):  # erase even if it waited out
        with writer_lock(engine), engine.begin() as db:
            visitor = trace_visitor(db, visitor_id)
            tickets = TicketStore.forget(db, visitor)
            helpdesk_tickets = HelpdeskStore.forget(db, visitor)
            derived = statistics.forget(db, visitor)
            events = EventStore.forget(db, visitor)
        statistics.recount(visitor.days)
    if not wipe_deleted(engine):
        logger.warning("erased %s: a reader kept SQLite's log from being emptied", visitor_id)
    return VisitorErased(visitor_id, events, tickets, helpdesk_tickets, **derived)
