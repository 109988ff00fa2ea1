"""Handoff tickets: the whole context attached, stored once, delivered at least once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select, update

from server.app import create_app
from server.handoff.outbox import OutboxWorker
from server.platform.delivery import signature
from server.services import services_of
from server.settings import Settings
from server.tables import deflections, events, outbox, tickets
from tests.fakes import FakeEmbedder
from tests.receivers import HttpReceiver, http_receiver, smtp_receiver

Client = TestClient[Any]
SECRET = "site-secret"
NOW = int(time.time() * 1000)


def event(number: int, kind: str, session: str = "session-1", **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "id": f"event-{session}-{number:04d}",
        "session_id": session,
        "visitor_id": "visitor-1",
        "page_url": f"https://app.example.com/settings/billing/{number}",
        "ts": NOW - 3_600_000 + number * 1000,
        **fields,
    }


def history(client: Client, session: str = "session-1") -> None:
    batch = [
        event(0, "widget_opened", session, source="prompt"),
        event(1, "prompt_clicked", session, prompt_id="billing-idle", action="open", target=None),
        event(
            2,
            "question_asked",
            session,
            question="Why was my card declined?",
            request_id="r1",
            status="answered",
        ),
        event(
            3,
            "answer_shown",
            session,
            request_id="r1",
            article_id="troubleshooting-payment-declined",
            section="Codes",
        ),
        event(
            4,
            "feedback",
            session,
            request_id="r1",
            article_id="troubleshooting-payment-declined",
            helpful=False,
        ),
        event(5, "handoff_started", session, request_id="r1"),
    ]
    response = client.post("/api/v1/events", json={"site": "acme", "events": batch})
    assert response.status_code == 200, response.text


def ticket(**fields: Any) -> dict[str, Any]:
    return {
        "id": "ticket-0001-abcdef",
        "site": "acme",
        "email": "dana@example.com",
        "name": "Dana",
        "message": "My payment failed twice and I can't pay the invoice.",
        "session_id": "session-1",
        "visitor_id": "visitor-1",
        "page_url": "https://app.example.com/settings/billing",
        "user": {"id": "user-42", "email": "dana@example.com", "signature": sign("user-42")},
        **fields,
    }


def sign(user_id: str, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def client(tmp_path: Path, database_url: str, receiver: HttpReceiver) -> Iterator[Client]:
    """On SQLite and on PostgreSQL, delivering to a real webhook and a Zendesk-shaped receiver."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        site_secrets={"acme": SECRET},
        webhook_url=f"{receiver.url}/hooks/frontdesk",
        webhook_secret="hook-secret",
        helpdesk_url=f"{receiver.url}/zendesk",
        helpdesk_token="zd-token",
    )
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app) as client:
        services_of(client.app).outbox.stop()  # the tests drive deliveries themselves
        yield client


def rows(client: Client, table: Any) -> list[Any]:
    with services_of(client.app).engine.connect() as db:
        return list(db.execute(select(table)).all())


def test_ticket_carries_the_session_context_category_and_priority(client: Client) -> None:
    history(client)
    response = client.post("/api/v1/tickets", json=ticket())
    assert response.status_code == 201, response.text
    assert response.json() == {
        "ticket_id": "ticket-0001-abcdef",
        "category": "billing",
        "priority": "high",
        "user_verified": True,
        "duplicate": False,
    }
    (stored,) = rows(client, tickets)
    context = stored.context
    assert context["questions"] == [{"question": "Why was my card declined?", "status": "answered"}]
    assert context["answers"] == [
        {"article_id": "troubleshooting-payment-declined", "section": "Codes"}
    ]
    assert context["feedback"] == [
        {"article_id": "troubleshooting-payment-declined", "helpful": False}
    ]
    assert context["prompts"] == ["billing-idle"]
    assert context["pages"][0] == "https://app.example.com/settings/billing/0"
    assert context["user"] == {
        "id": "user-42",
        "email": "dana@example.com",
        "name": None,
        "traits": {},
        "verified": True,
    }
    assert stored.user_verified is True
    kinds = [r.type for r in rows(client, events)]
    assert kinds.count("ticket_created") == 1  # the deflection log sees it in the events


def test_a_ticket_sent_anyway_records_what_its_form_suggested(
    client: Client, receiver: HttpReceiver
) -> None:
    suggested = [
        {"article_id": "troubleshooting-payment-declined", "answered": True},
        {"article_id": "billing-update-payment-card", "answered": False},
    ]
    response = client.post("/api/v1/tickets", json={**ticket(), "suggested": suggested})
    assert response.status_code == 201, response.text
    (stored,) = rows(client, tickets)
    assert stored.context["form_suggestions"] == suggested
    services_of(client.app).outbox.run_once()
    (hook,) = [r for r in receiver.requests if r.path == "/hooks/frontdesk"]
    assert hook.json()["ticket"]["context"]["form_suggestions"] == suggested
    bad = client.post(
        "/api/v1/tickets",
        json={**ticket(id="ticket-0002-abcdef"), "suggested": [{"article_id": "x y"}]},
    )
    assert bad.status_code == 400 and bad.json()["detail"].startswith("suggested[0].article_id")


def test_an_unsigned_or_badly_signed_identity_is_marked_unverified(client: Client) -> None:
    forged = ticket(user={"id": "user-42", "signature": sign("user-42", "wrong-secret")})
    assert client.post("/api/v1/tickets", json=forged).json()["user_verified"] is False
    unsigned = ticket(id="ticket-0002-abcdef", user={"id": "user-43"})
    assert client.post("/api/v1/tickets", json=unsigned).json()["user_verified"] is False
    garbled = ticket(id="ticket-0004-abcdef", user={"id": "user-42", "signature": "é" * 64})
    assert client.post("/api/v1/tickets", json=garbled).json()["user_verified"] is False
    other_site = ticket(id="ticket-0003-abcdef", site="other")
    assert client.post("/api/v1/tickets", json=other_site).json()["user_verified"] is False


@pytest.mark.parametrize(
    ("message", "category", "priority"),
    [
        ("Everything is down for our whole team, is there an outage?", "general", "critical"),
        ("The CSV import shows an error on row 3", "data", "medium"),
        ("How do I connect Slack?", "integrations", "low"),
        ("I am locked out after the 2FA reset", "account", "high"),
    ],
)
def test_keyword_rules_pick_category_and_priority(
    client: Client, message: str, category: str, priority: str
) -> None:
    body = client.post("/api/v1/tickets", json=ticket(message=message, session_id="fresh")).json()
    assert (body["category"], body["priority"]) == (category, priority)


def test_a_retried_ticket_is_stored_and_delivered_once(client: Client) -> None:
    history(client)
    first = client.post("/api/v1/tickets", json=ticket())
    again = client.post("/api/v1/tickets", json=ticket())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True and again.json()["ticket_id"] == "ticket-0001-abcdef"
    assert len(rows(client, tickets)) == 1
    assert sorted(r.destination for r in rows(client, outbox)) == ["helpdesk", "webhook"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "dana@"}, "email"),
        ({"message": "   "}, "message"),
        ({"message": ""}, "message"),
        ({"session_id": "has spaces"}, "session_id"),
        ({"page_url": "javascript:alert(1)"}, "page_url"),
        ({"page_url": "http://[::1/settings"}, "page_url"),
        ({"message": "My payment failed\u0000"}, "message"),
        ({"name": "Dana\u0000"}, "name"),
        ({"user": {"id": 42}}, "user.id"),
        ({"priority": "critical"}, "body"),
    ],
)
def test_bad_tickets_get_a_400_naming_the_field_and_store_nothing(
    client: Client, change: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/tickets", json=ticket(**change))
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(field) or field == "body"
    assert rows(client, tickets) == [] and rows(client, outbox) == []


def test_webhook_is_signed_retried_while_the_receiver_is_down_and_delivered(
    client: Client, receiver: HttpReceiver
) -> None:
    history(client)
    client.post("/api/v1/tickets", json=ticket())
    worker: OutboxWorker = services_of(client.app).outbox
    receiver.status = 503  # the receiver is down
    assert worker.run_once() == 0
    failed = {r.destination: r for r in rows(client, outbox)}
    assert failed["webhook"].attempts == 1 and "503" in failed["webhook"].last_error
    assert failed["webhook"].next_attempt_at > failed["webhook"].claimed_until  # backed off
    assert worker.run_once() == 0  # not due yet: no hammering of a receiver that is down
    receiver.status = 200
    with services_of(client.app).engine.begin() as db:  # time passes
        db.execute(update(outbox).values(next_attempt_at=0))
    assert worker.run_once() == 2
    assert worker.depth() == 0
    hooks = [r for r in receiver.requests if r.path == "/hooks/frontdesk"]
    assert len(hooks) == 2  # the failed attempt and the delivery, with one idempotency key
    assert {h.headers["Idempotency-Key"] for h in hooks} == {"ticket-0001-abcdef:webhook"}
    delivered = hooks[-1]
    assert delivered.headers["X-Frontdesk-Signature"] == signature("hook-secret", delivered.body)
    document = delivered.json()["ticket"]
    assert document["priority"] == "high" and document["user"]["verified"] is True
    assert document["context"]["questions"][0]["question"] == "Why was my card declined?"


def test_helpdesk_gets_zendesks_ticket_shape(client: Client, receiver: HttpReceiver) -> None:
    client.post("/api/v1/tickets", json=ticket())
    services_of(client.app).outbox.run_once()
    (call,) = [r for r in receiver.requests if r.path == "/zendesk/api/v2/tickets.json"]
    assert call.headers["Authorization"] == "Bearer zd-token"
    body = call.json()["ticket"]
    assert body["requester"] == {"name": "Dana", "email": "dana@example.com"}
    assert body["comment"] == {"body": ticket()["message"]}
    assert body["priority"] == "high" and body["external_id"] == "ticket-0001-abcdef"
    assert "frontdesk" in body["tags"]


@contextmanager
def emailing_client(tmp_path: Path, database_url: str, smtp_url: str) -> Iterator[Client]:
    """The app emailing tickets to the support inbox through `smtp_url`."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        smtp_url=smtp_url,
        email_to="support@example.com",
    )
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        yield client


def test_email_goes_to_a_real_smtp_server(tmp_path: Path, database_url: str) -> None:
    with smtp_receiver() as (smtp_url, inbox):
        with emailing_client(tmp_path, database_url, smtp_url) as client:
            services_of(client.app).outbox.stop()
            history(client)
            client.post("/api/v1/tickets", json=ticket(user=None))
            assert services_of(client.app).outbox.run_once() == 1
        (message,) = inbox
        assert message["To"] == "support@example.com"
        assert message["Reply-To"] == "dana@example.com"
        assert message["Subject"].startswith("[high] billing:")
        assert message["Message-ID"] == "<ticket-0001-abcdef.email@frontdesk>"
        text = message.get_payload(decode=True).decode()
        assert "Why was my card declined? (answered)" in text and "Feedback: no" in text


def test_the_outbox_worker_thread_delivers_on_its_own(tmp_path: Path, database_url: str) -> None:
    with http_receiver() as receiver:
        settings = Settings(data_dir=tmp_path, database_url=database_url, webhook_url=receiver.url)
        with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
            client.post("/api/v1/tickets", json=ticket())
            worker: OutboxWorker = services_of(client.app).outbox
            for _ in range(100):
                if worker.depth() == 0:
                    break
                time.sleep(0.1)
            assert worker.depth() == 0
        assert len(receiver.requests) == 1


def test_two_workers_never_deliver_the_same_row_twice(
    client: Client, receiver: HttpReceiver
) -> None:
    for n in range(10):
        created = client.post(
            "/api/v1/tickets", json=ticket(id=f"ticket-{n:04d}-abcdef", visitor_id=f"visitor-{n}")
        )
        assert created.status_code == 201, created.text
    engine = services_of(client.app).engine
    targets = services_of(client.app).outbox.targets

    workers = [OutboxWorker(engine, targets) for _ in range(3)]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(receiver.requests) == 20  # 10 tickets, 2 destinations, each once
    with engine.connect() as db:
        assert (
            db.execute(
                select(func.count()).select_from(outbox).where(outbox.c.attempts != 1)
            ).scalar()
            == 0
        )


def test_ticket_json_is_stored_verbatim(client: Client) -> None:
    client.post("/api/v1/tickets", json=ticket(message='<img src=x onerror="alert(1)">'))
    (stored,) = rows(client, tickets)
    assert stored.message == '<img src=x onerror="alert(1)">'
    assert json.dumps(stored.context)  # plain JSON, no markup added


def test_a_message_with_line_breaks_is_emailed_with_a_one_line_subject(
    tmp_path: Path, database_url: str
) -> None:
    message = "Hi,\r\nmy card\nwas declined twice.\n\nDana"
    with smtp_receiver() as (smtp_url, inbox):
        with emailing_client(tmp_path, database_url, smtp_url) as client:
            outbox_worker = services_of(client.app).outbox
            outbox_worker.stop()
            client.post("/api/v1/tickets", json=ticket(user=None, message=message))
            assert outbox_worker.run_once() == 1
            assert outbox_worker.depth() == 0
        (email,) = inbox
        assert email["Subject"] == "[high] billing: Hi, my card was declined twice. Dana"
        text = email.get_payload(decode=True).decode()
        assert "my card\nwas declined twice.\n\nDana" in text.replace("\r\n", "\n")


def test_a_ticket_stores_its_free_text_redacted_and_its_contact_as_given(
    client: Client, receiver: HttpReceiver
) -> None:
    created = client.post(
        "/api/v1/tickets",
        json=ticket(
            message="Card 4242 4242 4242 4242 was declined, call me on +1 (555) 123-4567",
            page_url="https://app.example.com/billing?email=dana%40example.com",
            page={
                "url": "https://app.example.com/billing?email=dana%40example.com",
                "route": "/billing",
                "title": "Billing of dana@example.com",
                "context": {"account": "DE89 3704 0044 0532 0130 00", "seats": 3},
            },
            user={"id": "user-42", "email": "dana@example.com", "name": "Dana",
                  "traits": {"phone": "030 1234567", "plan": "pro"}},
            transcript=[{"role": "user", "text": "my email is dana@example.com"}],
        ),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    (stored,) = rows(client, tickets)
    assert stored.message == "Card [card] was declined, call me on [phone]"
    assert stored.page_url == "https://app.example.com/billing?email=[email]"
    assert stored.context["transcript"] == [
        {"role": "user", "text": "my email is [email]", "article_id": None}
    ]
    assert stored.context["page"]["url"] == stored.page_url
    assert stored.context["page"]["title"] == "Billing of [email]"
    assert stored.context["page"]["context"] == {"account": "[account]", "seats": 3}
    assert stored.context["user"]["traits"] == {"phone": "[phone]", "plan": "pro"}
    # the ticket's own contact fields stay as the user gave them: support answers there
    assert (stored.email, stored.name) == ("dana@example.com", "Dana")
    assert (stored.context["user"]["email"], stored.context["user"]["name"]) == (
        "dana@example.com",
        "Dana",
    )
    services_of(client.app).outbox.run_once()
    delivered = next(r for r in receiver.requests if r.path == "/hooks/frontdesk")
    assert "4242" not in delivered.body.decode() and "555" not in delivered.body.decode()


def test_tickets_whose_long_ids_share_a_prefix_each_get_their_ticket_created_event(
    client: Client,
) -> None:
    ids = ["t" * 63 + "1", "t" * 63 + "2"]  # 64 characters, the longest a ticket id may be
    for number, ticket_id in enumerate(ids):
        created = client.post(
            "/api/v1/tickets",
            json=ticket(id=ticket_id, session_id=f"session-long-{number}", user=None),
        )
        assert created.status_code == 201, created.text
    assert sorted(r.id for r in rows(client, tickets)) == ids
    logged = [r.data["ticket_id"] for r in rows(client, events) if r.type == "ticket_created"]
    assert sorted(logged) == ids
    statistics = services_of(client.app).statistics
    statistics.deflection_log.run_once("test")
    with services_of(client.app).engine.connect() as db:
        log = db.execute(select(deflections)).all()
    assert sorted(r.session_id for r in log if r.outcome == "ticket") == [
        "session-long-0",
        "session-long-1",
    ]
