"""The Litestar application: ``create_app(settings)`` builds it, nothing is built at import."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.stores.file import FileStore
from litestar.template.config import TemplateConfig
from sqlalchemy import text

from ingest.embedding import Embedder, SentenceTransformerEmbedder
from server.admin_api import AdminController
from server.admission import Admission
from server.answering import Answerer
from server.api import AskController
from server.dashboard import DashboardController, dashboard_router
from server.database import create_database_engine, migrate
from server.decision import Decider
from server.demo import demo_router
from server.events import EventStore
from server.events_api import EventsController
from server.index import open_live_index
from server.job_locks import job_locks
from server.logs import configure_logging, request_ids
from server.metrics import INDEX_SWITCHES, metrics, prometheus_config
from server.model_process import ModelProcess
from server.outbox import OutboxWorker, destinations
from server.problems import problem_details_plugin
from server.prompts_api import LivePrompts, PromptsController
from server.query_encoder import QueryEncoder
from server.redaction import Redactor
from server.retrieval import Retriever
from server.secret_key import secret_key
from server.settings import Settings, load_settings
from server.shared_cache import SharedVectors
from server.statistics_job import build_statistics_job
from server.tickets import TicketRules, TicketStore
from server.tickets_api import TicketsController
from server.users import UserStore
from server.widget_asset import WidgetAsset, widget_js, widget_js_by_hash

TEMPLATES = Path(__file__).with_name("templates")
# what the widget and outside tools call: no dashboard session, no login throttle
PUBLIC_PATHS = ["^/api/v1/(ask|search|articles|events|prompts|tickets)", "^/widget"]

logger = logging.getLogger(__name__)


@get("/healthz", sync_to_thread=True, tags=["operations"])
def healthz(state: State) -> dict[str, Any]:
    """Alive, and which index version this process (`pid`) serves."""
    live = state.answerer.live
    prompts: LivePrompts = state.prompts
    current = prompts.current()
    prompt_status = {
        "file": str(prompts.path),
        "version": current.digest,
        "prompts": len(current.prompts),
        "error": str(prompts.error) if prompts.error else None,
    }
    try:
        collection = live.collection()
    except Exception as exc:  # the index is unreadable: still alive, say why
        logger.exception("index unreadable")
        return {
            "status": "ok",
            "pid": os.getpid(),
            "index": {"error": str(exc)},
            "prompts": prompt_status,
        }
    if collection is None:
        return {"status": "ok", "pid": os.getpid(), "index": None, "prompts": prompt_status}
    return {
        "status": "ok",
        "pid": os.getpid(),
        "index": {
            "version": live.version,
            "chunks": collection.count(),
            "embedding_model": collection.model_id,
        },
        "prompts": prompt_status,
    }


@get(
    "/readyz",
    sync_to_thread=True,
    tags=["operations"],
    responses={
        503: ResponseSpec(
            data_container=dict[str, Any],
            description="Not ready: `checks` says which of index, database and Redis is not",
        )
    },
)
def readyz(state: State) -> Response[dict[str, Any]]:
    """Ready for traffic: the index is open, the database and Redis answer (503 says which not)."""
    checks: dict[str, str] = {}
    try:
        state.answerer.current()
        checks["index"] = "ok"
    except Exception as exc:
        checks["index"] = str(exc) or type(exc).__name__
    try:
        with state.engine.connect() as db:
            db.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if state.settings.redis_url:
        try:
            state.redis_check()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = str(exc) or type(exc).__name__
    ready = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@get("/", include_in_schema=False, sync_to_thread=False)
def home(state: State) -> Redirect:
    settings: Settings = state.settings
    return Redirect("/demo/" if settings.demo else "/schema")


def _is_login_attempt(request: Request[Any, Any, Any]) -> bool:
    return request.method == "POST" and request.url.path == "/admin/login"


def build_answerer(settings: Settings, embedder: Embedder | None = None) -> Answerer:
    """Everything `/ask` needs, from the settings (tests may pass their own embedder)."""
    replicas: list[ModelProcess] = []
    if embedder is None:
        name, int8 = settings.embedding_model, settings.query_model_int8
        runtime = settings.query_model_runtime
        if settings.query_model_processes:
            embedder, *replicas = [
                ModelProcess(name, int8=int8, runtime=runtime)
                for _ in range(settings.query_model_processes)
            ]
        else:
            embedder = SentenceTransformerEmbedder(name, int8=int8, runtime=runtime)
    shared = None
    if settings.redis_url:
        flavour = ":int8" if getattr(embedder, "int8", False) else ""
        shared = SharedVectors.connect(
            settings.redis_url, embedder.model_id + flavour, settings.query_cache_ttl_seconds
        )
    return Answerer(
        live=open_live_index(settings),
        encoder=QueryEncoder(
            embedder, settings.query_cache_size, settings.query_batch_size, shared, replicas
        ),
        retriever=Retriever(settings.default_locale, settings.page_boost),
        decider=Decider(settings.answer_threshold, settings.suggest_threshold),
    )


def create_app(settings: Settings, embedder: Embedder | None = None) -> Litestar:
    answerer = build_answerer(settings, embedder)
    engine = create_database_engine(settings)
    targets = destinations(settings)
    locks = job_locks(settings.redis_url)
    outbox = OutboxWorker(engine, targets, locks=locks)
    statistics = build_statistics_job(settings, engine, answerer.encoder.encode_now, locks)
    admission = Admission(
        settings.site_origins,
        settings.rate_limits_per_visitor,
        settings.rate_limits_per_site,
        settings.redis_url,
    )
    tickets = TicketStore(
        engine,
        TicketRules(settings.ticket_categories, settings.ticket_priorities, settings.site_secrets),
        tuple(targets),
    )

    def start() -> None:
        migrate(engine)
        outbox.start()
        statistics.start()
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
        statistics.stop()
        outbox.stop()  # finishes the delivery in progress and one last pass
        locks.close()
        await admission.close()
        engine.dispose()

    answerer.live.on_switch(lambda _collection, _version: INDEX_SWITCHES.inc())
    handlers: list[Any] = [
        home,
        healthz,
        readyz,
        metrics,
        AskController,
        EventsController,
        PromptsController,
    ]
    handlers += [TicketsController, AdminController]
    handlers.append(widget_js)
    handlers.append(widget_js_by_hash)
    handlers += [DashboardController, dashboard_router()]
    if settings.demo:
        handlers.append(demo_router())
    return Litestar(
        route_handlers=handlers,
        state=State(
            {
                "settings": settings,
                "answerer": answerer,
                "engine": engine,
                "events": EventStore(
                    engine, Redactor.build(settings.redact, settings.redact_extra)
                ),
                "tickets": tickets,
                "outbox": outbox,
                "deflection_log": statistics.deflection_log,
                "statistics": statistics,
                "users": UserStore(engine),
                "widget": WidgetAsset(),
                "prompts": LivePrompts(settings.prompts_file),
                "admission": admission,
                "redis_check": locks.ping,
            }
        ),
        plugins=[problem_details_plugin()],
        logging_config=None,  # server.logs configures logging, once per process
        # the widget calls the API from the host product's origin; no cookies are involved
        cors_config=CORSConfig(
            allow_origins=sorted(admission.all_origins) or ["*"],
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
            request_ids,
            prometheus_config().middleware,
            ServerSideSessionConfig(
                secure=settings.secure_cookies,
                samesite="strict",
                max_age=12 * 3600,
                exclude=PUBLIC_PATHS,  # sessions are the dashboard's; the public API has none
            ).middleware,
            RateLimitConfig(
                rate_limit=("minute", settings.login_attempts_per_minute),
                check_throttle_handler=_is_login_attempt,
                exclude=PUBLIC_PATHS,
            ).middleware,
        ],
        stores={"sessions": FileStore(settings.data_dir / "sessions", create_directories=True)},
        openapi_config=OpenAPIConfig(title="Frontdesk", version="0.1.0", path="/schema"),
        on_startup=[start],
        on_shutdown=[stop],
    )


def app_from_environment() -> Litestar:
    """The app `frontdesk serve` runs in each worker process: settings from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
