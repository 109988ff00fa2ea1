"""The Litestar application: ``create_app(settings)`` builds it, nothing is built at import."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.stores.file import FileStore
from litestar.template.config import TemplateConfig

from ingest.embedding import Embedder
from server.admin.api import admin_api
from server.admin.dashboard import DashboardController, dashboard_router
from server.admin.headers import admin_headers
from server.admin.secret_key import secret_key
from server.admin.sessions import STORE, DashboardSessionConfig, delete_expired
from server.ask.api import AskController
from server.events.api import EventsController
from server.handoff.api import TicketsController
from server.helpdesk.api import HelpdeskController
from server.host.demo import demo_router
from server.host.widget_asset import WIDGET_FILE, widget_js, widget_js_by_hash
from server.operations import healthz, home, metrics, readyz
from server.platform.admission import client_addresses
from server.platform.database import migrate
from server.platform.logs import configure_logging, request_ids
from server.platform.metrics import INDEX_SWITCHES, prometheus_config
from server.platform.problems import problem_details_plugin, unexpected_error
from server.platform.storage import ALARM, storage_cause
from server.platform.validation import no_nul_in_paths
from server.prompts.api import PromptsController
from server.services import build_services
from server.settings import Settings, load_settings

TEMPLATES = Path(__file__).with_name("templates")
# what the widget and outside tools call: no dashboard session
PUBLIC_PATHS = [
    "^/api/v1/(ask|search|articles|page-articles|events|prompts|tickets|helpdesk)",
    "^/widget",
]

logger = logging.getLogger(__name__)


async def _expire_sessions(app: Litestar) -> None:
    try:
        await delete_expired(app.stores.get(STORE))
    except OSError as exc:  # a read-only data dir: they go at the next login
        ALARM.report(storage_cause(exc) or str(exc))


def create_app(
    settings: Settings, embedder: Embedder | None = None, widget_file: Path = WIDGET_FILE
) -> Litestar:
    services = build_services(settings, embedder, widget_file)
    answerer = services.answerer

    def start() -> None:
        try:
            migrate(services.engine)
        except Exception as exc:
            cause = storage_cause(exc)
            if cause is None:
                raise
            ALARM.report(cause)  # serve, answering 503 where a write is needed; /readyz says why
        services.outbox.start()
        services.statistics.start()
        answerer.encoder.start()
        try:
            answerer.current()  # open the index and build the snapshot before traffic
            answerer.encoder.warm_up()
        except Exception as exc:
            logger.warning("not ready yet: %s", exc)

    async def stop() -> None:
        # uvicorn has let the requests in flight finish (FRONTDESK_SHUTDOWN_GRACE_SECONDS)
        answerer.encoder.close()
        answerer.live.close()
        services.statistics.stop()
        services.outbox.stop()  # finishes the delivery in progress and one last pass
        services.locks.close()
        await services.admission.close()
        services.engine.dispose()

    answerer.live.on_switch(lambda _collection, _version: INDEX_SWITCHES.inc())
    handlers: list[Any] = [
        home,
        healthz,
        readyz,
        metrics,
        AskController,
        EventsController,
        PromptsController,
        TicketsController,
        HelpdeskController,
        admin_api(settings.admin_token),
        widget_js,
        widget_js_by_hash,
        DashboardController,
        dashboard_router(),
    ]
    if settings.demo:
        handlers.append(demo_router())
    return Litestar(
        route_handlers=handlers,
        dependencies=services.dependencies(),
        state=State({"services": services}),
        plugins=[problem_details_plugin()],
        exception_handlers={Exception: unexpected_error},
        before_send=[admin_headers],  # the admin side's strict headers, and no CORS there
        logging_config=None,  # server.platform.logs configures logging, once per process
        # the widget calls the API from the host product's origin; no cookies are involved
        # (server.admin.headers takes CORS off the admin side)
        cors_config=CORSConfig(
            allow_origins=sorted(services.admission.all_origins) or ["*"],
            allow_methods=["GET", "POST"],
            max_age=86400,
        ),
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        csrf_config=CSRFConfig(
            secret=secret_key(settings),
            cookie_secure=settings.secure_cookies,
            cookie_samesite="strict",
            exclude=["^/api/", "^/widget", "^/demo"],  # public and bearer-token endpoints
        ),
        middleware=[
            client_addresses(settings.trusted_proxies),
            request_ids,
            no_nul_in_paths,
            prometheus_config().middleware,
            DashboardSessionConfig(
                secure=settings.secure_cookies,
                samesite="strict",
                max_age=12 * 3600,
                exclude=PUBLIC_PATHS,  # sessions are the dashboard's; the public API has none
            ).middleware,
        ],
        stores={STORE: FileStore(settings.data_dir / "sessions", create_directories=True)},
        openapi_config=OpenAPIConfig(title="Frontdesk", version="0.1.0", path="/schema"),
        on_startup=[start, _expire_sessions],
        on_shutdown=[stop],
    )


def app_from_environment() -> Litestar:
    """The app `frontdesk serve` runs in each worker process: settings from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
