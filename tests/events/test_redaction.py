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
