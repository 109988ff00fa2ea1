"""A real Frontdesk HTTP server (uvicorn on loopback) for the helpdesk tests, on each
database, with helpdesk sources `zendesk` and `ops`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from litestar import Litestar

from server.app import create_app
from server.services import Services, services_of
from server.settings import Settings
from tests.conftest import free_port
from tests.fakes import FakeEmbedder
from tests.senders import GenericSender, ZendeskSender

ZENDESK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
OPS_SECRET = "ops-secret-0123"
ADMIN_TOKEN = "admin-secret"


@dataclass
class LiveFrontdesk:
    url: str
    app: Litestar

    @property
    def services(self) -> Services:
        return services_of(self.app)

    @property
    def events_url(self) -> str:
        return f"{self.url}/api/v1/helpdesk/events"

    def zendesk(self, secret: str = ZENDESK_SECRET) -> ZendeskSender:
        return ZendeskSender(f"{self.events_url}?source=zendesk", secret)

    def ops(self, secret: str = OPS_SECRET) -> GenericSender:
        return GenericSender(f"{self.events_url}?source=ops", secret)

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
        )


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveFrontdesk]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        helpdesk_secrets={"zendesk": ZENDESK_SECRET, "ops": OPS_SECRET},
        event_max_age_days=36_500,
        redact=["email", "phone"],
    )
    app = create_app(settings, embedder=FakeEmbedder())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    services_of(app).statistics.stop()
    services_of(app).outbox.stop()
    try:
        yield LiveFrontdesk(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(30)
