"""`POST /api/v1/events`: the widget's batches, validated whole, stored once per event id."""

from __future__ import annotations

import time
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import Body

from server.events.schema import MAX_BATCH_BYTES, EventBatch, EventsAccepted
from server.events.store import EventStore
from server.platform.admission import Admission
from server.platform.metrics import EVENT_DUPLICATES, EVENTS
from server.platform.problems import problem_responses
from server.platform.validation import check_page_url, check_timestamp, decode_strictly
from server.settings import Settings


class EventsController(Controller):
    path = "/api/v1"
    tags = ("events",)

    @post(
        "/events",
        status_code=200,
        request_max_body_size=MAX_BATCH_BYTES,
        responses=problem_responses(400, 403, 413, 429),
    )
    async def add_events(
        self,
        data: Annotated[
            EventBatch,
            Body(
                description="Sent as `text/plain` JSON (no CORS preflight) or `application/json`; "
                f"at most 100 events and {MAX_BATCH_BYTES // 1024} KB."
            ),
        ],
        request: Request[Any, Any, Any],
        event_store: NamedDependency[EventStore],
        admission: NamedDependency[Admission],
        settings: NamedDependency[Settings],
    ) -> EventsAccepted:
        """Store a batch of widget events; events already stored count as duplicates. An
        event dated more than a day ahead of the server's clock, or older than
        `FRONTDESK_EVENT_MAX_AGE_DAYS`, rejects the batch."""
        batch = decode_strictly(await request.body(), EventBatch)
        now = int(time.time() * 1000)
        for number, item in enumerate(batch.events):
            check_page_url(item.page_url, f"events[{number}].page_url")
            check_timestamp(item.ts, now, settings.event_max_age_days, f"events[{number}].ts")
        visitor = batch.events[0].visitor_id if batch.events else None
        await admission.admit_request(request, "events", batch.site, visitor)
        stored = await anyio.to_thread.run_sync(event_store.add, batch)
        EVENTS.inc(stored.accepted)
        EVENT_DUPLICATES.inc(stored.duplicates)
        return stored
