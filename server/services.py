"""Every long-lived part of a server process, built once from the settings: the typed
object that handlers receive their parts from, by name (`answerer: Answerer`, …).

`build_services` wires the concerns together: each package's parts get what they need
from the others passed in, so no package imports one on its own level.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from sqlalchemy import Engine

from ingest.embedding import Embedder
from server.admin.logins import FailedLogins
from server.admin.users import UserStore
from server.admin.views import Views
from server.ask.answerer import Answerer
from server.ask.assembly import build_answerer
from server.events.redaction import Redactor
from server.events.store import EventStore
from server.handoff.destinations import destinations
from server.handoff.outbox import OutboxWorker
from server.handoff.routing import read_routing
from server.handoff.rules import TicketRules
from server.handoff.store import TicketStore
from server.helpdesk.signatures import SourceKeys
from server.helpdesk.store import HelpdeskStore
from server.host.widget_asset import WIDGET_FILE, WidgetAsset
from server.insights.job import StatisticsJob, build_statistics_job
from server.insights.topics import GapClusters
from server.platform.admission import Admission
from server.platform.database import create_database_engine
from server.platform.locks import JobLocks, job_locks
from server.prompts.live import LivePrompts
from server.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    answerer: Answerer
    event_store: EventStore
    ticket_store: TicketStore
    helpdesk: HelpdeskStore
    helpdesk_keys: SourceKeys
    outbox: OutboxWorker
    statistics: StatisticsJob
    users: UserStore
    failed_logins: FailedLogins
    views: Views
    widget: WidgetAsset
    prompts: LivePrompts
    admission: Admission
    locks: JobLocks

    def dependencies(self) -> dict[str, Provide]:
        """One dependency per part, named as the field: what handlers ask for.

        No field may share its name with a request field or parameter (`events`, `page`):
        Litestar takes a validation error on such a field for a broken dependency (a 500).
        """
        return {f.name: _provide(getattr(self, f.name)) for f in fields(self)}


def _provide(value: Any) -> Provide:
    def part() -> Any:
        return value

    return Provide(part, use_cache=True, sync_to_thread=False)


def build_services(
    settings: Settings, embedder: Embedder | None = None, widget_file: Path = WIDGET_FILE
) -> Services:
    answerer = build_answerer(settings, embedder)
    engine = create_database_engine(settings)
    targets = destinations(settings, engine, GapClusters(engine))
    locks = job_locks(settings.redis_url)
    prompts = LivePrompts(settings.prompts_file)
    redactor = Redactor.build(settings.redact, settings.redact_extra)
    routing = read_routing(
        settings.routes_file, tuple(targets), "routes_file" in settings.model_fields_set
    )
    rules = TicketRules(
        settings.ticket_categories, settings.ticket_priorities, settings.site_secrets
    )
    return Services(
        settings=settings,
        engine=engine,
        answerer=answerer,
        event_store=EventStore(engine, redactor),
        ticket_store=TicketStore(engine, rules, routing, redactor),
        helpdesk=HelpdeskStore.from_settings(engine, settings),
        helpdesk_keys=SourceKeys(
            settings.helpdesk_secrets, settings.helpdesk_signature_max_age_seconds
        ),
        outbox=OutboxWorker(engine, targets, locks=locks),
        statistics=build_statistics_job(settings, engine, answerer.encoder.encode_now, locks),
        users=UserStore(engine),
        failed_logins=FailedLogins(engine),
        views=Views(engine, settings, answerer, prompts),
        widget=WidgetAsset(widget_file),
        prompts=prompts,
        admission=Admission(
            settings.site_origins,
            settings.rate_limits_per_visitor,
            settings.rate_limits_per_site,
            settings.redis_url,
            per_address=settings.rate_limits_per_address,
            logins_per_minute=settings.login_attempts_per_minute,
        ),
        locks=locks,
    )


def services_of(app: Litestar) -> Services:
    """The services an app was built with (tests and operations reach in through this)."""
    services: Services = app.state.services
    return services
