"""Rate limits per visitor and per site, origins per site, and request ids."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from ingest.embedding import SentenceTransformerEmbedder
from ingest.versions import IndexVersions
from server.app import create_app
from server.platform.logs import configure_logging
from server.services import services_of
from server.settings import Settings, SettingsError, load_settings
from server.tables import events
from tests.fakes import FakeEmbedder

Client = TestClient[Any]
ACME = "https://app.acme.com"


@pytest.fixture
def limited(
    sample_index: IndexVersions, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> Iterator[Client]:
    settings = Settings(
        data_dir=sample_index.data_dir,
        database_url=f"sqlite:///{tmp_path}/events.db",
        rate_limits_per_visitor={"ask": "3/minute", "events": "2/minute"},
        rate_limits_per_site={"ask": "5/minute"},
    )
    with TestClient(create_app(settings, embedder=real_embedder)) as client:
        yield client


@pytest.fixture
def acme_only(tmp_path: Path) -> Iterator[Client]:
    settings = Settings(data_dir=tmp_path, site_origins={"acme": [ACME]})
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        yield client


def ask(client: Client, visitor: str, site: str = "acme", **headers: str) -> Any:
    return client.post(
        "/api/v1/ask",
        json={"question": "How do I export my data?", "site": site, "visitor_id": visitor},
        headers=headers,
    )


def batch(number: int, site: str = "acme") -> dict[str, Any]:
    return {
        "site": site,
        "events": [
            {
                "type": "widget_opened",
                "id": f"event-{number:04d}-limits",
                "session_id": "session-1",
                "visitor_id": "visitor-1",
                "page_url": "/settings",
                "ts": int(time.time() * 1000),
            }
        ],
    }


def test_a_visitor_over_the_limit_gets_429_with_retry_after_and_others_are_served(
    limited: Client,
) -> None:
    assert [ask(limited, "visitor-a").status_code for _ in range(3)] == [200, 200, 200]
    refused = ask(limited, "visitor-a")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "3 per 1 minute" in refused.json()["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert ask(limited, "visitor-b").status_code == 200


def test_a_site_limit_counts_all_its_visitors_together(limited: Client) -> None:
    statuses = [ask(limited, f"visitor-{n}", site="busy").status_code for n in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert ask(limited, "visitor-x", site="quiet").status_code == 200


def test_a_refused_event_batch_stores_nothing(limited: Client) -> None:
    statuses = [limited.post("/api/v1/events", json=batch(n)).status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    with services_of(limited.app).engine.connect() as db:
        assert db.execute(select(func.count()).select_from(events)).scalar_one() == 2


def test_only_the_sites_own_origins_are_served(acme_only: Client) -> None:
    body = {"question": "Export", "site": "acme"}
    allowed = acme_only.post("/api/v1/ask", json=body, headers={"Origin": ACME})
    assert allowed.status_code != 403
    assert allowed.headers["access-control-allow-origin"] == ACME
    other = acme_only.post("/api/v1/ask", json=body, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403
    assert "https://evil.example" in other.json()["detail"]
    unknown = acme_only.post(
        "/api/v1/events", json=batch(1, site="other"), headers={"Origin": ACME}
    )
    assert unknown.status_code == 403
    assert "'other'" in unknown.json()["detail"]
    prompts = acme_only.get(
        "/api/v1/prompts", params={"url": "/settings"}, headers={"Origin": "https://evil.example"}
    )
    assert prompts.status_code == 403


def test_cors_preflight_names_only_allowed_origins(acme_only: Client) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    ok = acme_only.options("/api/v1/ask", headers={"Origin": ACME, **preflight})
    assert ok.headers.get("access-control-allow-origin") == ACME
    evil = acme_only.options("/api/v1/ask", headers={"Origin": "https://evil.example", **preflight})
    assert evil.headers.get("access-control-allow-origin") in (None, "")


def test_rate_limits_and_origins_are_validated_settings() -> None:
    with pytest.raises(SettingsError, match=r"FRONTDESK_RATE_LIMITS_PER_VISITOR.*ask: 'often'"):
        load_settings(rate_limits_per_visitor={"ask": "often"})
    with pytest.raises(SettingsError, match=r"FRONTDESK_SITE_ORIGINS.*app\.acme\.com/path"):
        load_settings(site_origins={"acme": ["https://app.acme.com/path"]})
    with pytest.raises(SettingsError, match="FRONTDESK_REDIS_URL"):
        load_settings(redis_url="localhost:6379")


def test_every_response_carries_a_request_id_that_ask_answers_with(limited: Client) -> None:
    response = ask(limited, "visitor-id", **{"X-Request-ID": "support-case-12345"})
    assert response.headers["x-request-id"] == "support-case-12345"
    assert response.json()["request_id"] == "support-case-12345"
    fresh = ask(limited, "visitor-id2")
    assert fresh.headers["x-request-id"] == fresh.json()["request_id"]
    insane = ask(limited, "visitor-id3", **{"X-Request-ID": "<script>"})
    assert insane.headers["x-request-id"] != "<script>"


def test_json_logs_carry_the_request_id(
    limited: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("INFO", "json")
    try:
        ask(limited, "visitor-log", **{"X-Request-ID": "trace-me-0001"})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = [r for r in lines if r["logger"] == "frontdesk.access"]
    assert access and access[-1]["request_id"] == "trace-me-0001"
    assert access[-1]["path"] == "/api/v1/ask" and access[-1]["status"] == 200
    assert {"time", "level", "message", "duration_ms"} <= set(access[-1])


def test_a_site_and_an_address_are_limited_by_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rate_limits_per_visitor={})
    assert settings.rate_limits_per_site and settings.rate_limits_per_address

    def tickets(client: Client, count: int, site: str) -> list[int]:
        return [
            client.post(
                "/api/v1/tickets",
                json={"site": site, "email": "dana@example.com", "message": "Help",
                      "session_id": f"s-{site}-{n}", "visitor_id": f"v-{site}-{n}"},
            ).status_code
            for n in range(count)
        ]  # fmt: skip

    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        by_address = tickets(client, 21, "acme")  # a new visitor id each time
        assert by_address == [201] * 20 + [429]
    one_site = Settings(data_dir=tmp_path / "site", rate_limits_per_visitor={},
                        rate_limits_per_address={})  # fmt: skip
    with TestClient(create_app(one_site, embedder=FakeEmbedder())) as client:
        by_site = tickets(client, 301, "busy")
        assert by_site == [201] * 300 + [429]
        assert tickets(client, 1, "quiet") == [201]
