"""Personal data out of stored questions: the rules, extra patterns, and the store using them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.events.redaction import Redactor
from server.services import services_of
from server.settings import Settings
from server.tables import events
from tests.sessions import T0, Client, send


def test_questions_are_stored_without_personal_data(client: Client) -> None:
    send(
        client,
        "s-pii",
        "v9",
        T0,
        "question_asked",
        question="I'm dana@example.com, card 4242 4242 4242 4242, "
        "call +1 (555) 123-4567, acct 12345678",
        request_id=None,
        status="no_answer",
    )
    with services_of(client.app).engine.connect() as db:
        stored = db.execute(
            select(events.c.data).where(events.c.session_id == "s-pii")
        ).scalar_one()
    assert stored["question"] == "I'm [email], card [card], call [phone], acct [account]"


@pytest.mark.parametrize(
    ("text", "kinds", "expected"),
    [
        ("mail me at a.b+c@mail.example.org", ["email"], "mail me at [email]"),
        ("card 4111-1111-1111-1111 please", ["card"], "card [card] please"),
        (
            "order 4111-1111-1111-1112 is not a card",
            ["card"],
            "order 4111-1111-1111-1112 is not a card",
        ),
        ("IBAN DE89 3704 0044 0532 0130 00", ["account"], "IBAN [account]"),
        ("phone 030 1234567", ["phone"], "phone [phone]"),
        (
            "on 12/05 I paid 49.99 for 3 seats in 2025",
            ["email", "phone", "card", "account"],
            "on 12/05 I paid 49.99 for 3 seats in 2025",
        ),
        ("my email a@b.io", ["phone"], "my email a@b.io"),
    ],
)
def test_redaction_rules(text: str, kinds: list[str], expected: str) -> None:
    assert Redactor.build(kinds, {})(text) == expected


def test_extra_redaction_patterns_from_the_settings() -> None:
    redact = Redactor.build([], Settings(redact_extra={"order": "ORD-[0-9]+"}).redact_extra)
    assert redact("where is ORD-5521?") == "where is [order]?"
    with pytest.raises(ValueError, match="not a regular expression"):
        Settings(redact_extra={"bad": "(unclosed"})


def test_every_free_text_and_url_query_of_an_event_is_stored_redacted(client: Client) -> None:
    """Questions, a clicked prompt's target, an answer's section, page URLs' queries and
    fragments: every text an event stores, with personal data removed."""
    page = "https://app.example.com/settings?email=dana%40example.com&tab=plan#call-030-1234567"
    common = {"session_id": "s-text", "visitor_id": "v-text", "page_url": page, "ts": T0}
    batch = [
        {"type": "question_asked", "id": "redact-0001", "question": "I'm dana@example.com",
         "status": "no_answer", **common},
        {"type": "prompt_clicked", "id": "redact-0002", "prompt_id": "billing-help",
         "action": "question", "target": "refund card 4242 4242 4242 4242", **common},
        {"type": "answer_shown", "id": "redact-0003", "request_id": "r1",
         "article_id": "billing", "section": "call +1 (555) 123-4567", **common},
        {"type": "page_changed", "id": "redact-0004",
         "from_url": "/invoices?account=12345678&page=2", **common},
    ]  # fmt: skip
    response = client.post("/api/v1/events", json={"site": "acme", "events": batch})
    assert response.status_code == 200, response.text
    with services_of(client.app).engine.connect() as db:
        stored = {r.id: r for r in db.execute(select(events))}
    redacted_page = "https://app.example.com/settings?email=[email]&tab=plan#call-[phone]"
    assert {r.page_url for r in stored.values()} == {redacted_page}
    assert stored["redact-0001"].data["question"] == "I'm [email]"
    assert stored["redact-0002"].data["target"] == "refund card [card]"
    assert stored["redact-0003"].data["section"] == "call [phone]"
    assert stored["redact-0004"].data["from_url"] == "/invoices?account=[account]&page=2"


def test_a_url_keeps_its_path_and_the_query_parts_without_personal_data() -> None:
    redact = Redactor.build(["email", "phone", "card", "account"], {})
    assert redact.url("/settings/billing") == "/settings/billing"
    assert redact.url("/a?tab=plan&sort=-date") == "/a?tab=plan&sort=-date"
    assert redact.url("/a?to=x%2By%40mail.example.org&q=a+b") == "/a?to=[email]&q=a+b"
    assert redact.url("/a?x@y.io") == "/a?[email]"
