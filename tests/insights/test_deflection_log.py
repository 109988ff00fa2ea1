"""The deflection log: one outcome per session, from events alone, kept current by one
process at a time and equal to a rebuild from scratch."""

from __future__ import annotations

from sqlalchemy import select

from server.platform.locks import take_lease
from server.services import services_of
from server.tables import deflections
from tests.sessions import (
    ADMIN,
    DAY,
    EXPECTED,
    HOUR,
    T0,
    Client,
    file_ticket,
    log_of,
    outcomes,
    seed,
    seeded,
    send,
)


def test_each_session_gets_the_outcome_worked_out_by_hand(client: Client) -> None:
    seeded(client)
    log_of(client).run_once("test", now=T0 + 2 * DAY)
    assert outcomes(client) == EXPECTED


def test_outcomes_wait_for_the_window_and_a_later_ticket_changes_them(client: Client) -> None:
    seed(client)
    log = log_of(client)
    log.run_once("test", now=T0 + HOUR + 2000)  # an hour in: only the confirmed one is final
    assert outcomes(client) == {"s-confirmed": "deflected_confirmed"}
    log.run_once("test", now=T0 + 2 * DAY)
    assert outcomes(client)["s-before-ticket"] == "deflected_implied"
    assert outcomes(client)["s-implied"] == "deflected_implied"
    assert "s-pending" not in outcomes(client) and "s-browse" not in outcomes(client)
    # a ticket arrives in a session that had said "Yes": the ticket wins
    file_ticket(client, "s-confirmed", "v1", "ticket-c-000001")
    log.run_once("test", now=T0 + 2 * DAY + 1000)
    assert outcomes(client)["s-confirmed"] == "ticket"


def test_incremental_runs_equal_a_rebuild_from_scratch(client: Client) -> None:
    seeded(client)
    log = log_of(client)
    for now in (T0 + HOUR, T0 + 6 * HOUR, T0 + DAY + HOUR, T0 + 2 * DAY):
        log.run_once("test", now=now)
    with services_of(client.app).engine.connect() as db:
        incremental = sorted(tuple(r) for r in db.execute(select(deflections)))
    log.rebuild(now=T0 + 2 * DAY)
    with services_of(client.app).engine.connect() as db:
        rebuilt = sorted(tuple(r) for r in db.execute(select(deflections)))
    assert rebuilt == incremental and len(rebuilt) == 6


def test_only_one_process_runs_the_job_at_a_time(client: Client) -> None:
    seed(client)
    log = log_of(client)
    assert take_lease(log.engine, "deflections", "process-a", T0, 60_000) is not None
    assert log.run_once("process-b", now=T0 + 1000) is None  # a holds the lease
    assert log.run_once("process-b", now=T0 + 61_000) is not None  # a's lease ran out


def _form_session(client: Client, session: str, visitor: str, at: int, form: str) -> None:
    """Suggestions shown for a contact form's message, and one of them opened."""
    send(
        client,
        session,
        visitor,
        at,
        "form_suggestions_shown",
        form=form,
        request_id=f"r-{session}",
        article_ids=["billing-update-payment-card", "billing-failed-payments"],
        answered=True,
    )
    send(
        client,
        session,
        visitor,
        at + 1000,
        "article_opened",
        article_id="billing-update-payment-card",
        source="form",
    )


def test_a_form_suggestion_read_and_the_form_left_unsent_is_deflected_form(
    client: Client,
) -> None:
    _form_session(client, "s-form", "v-form", T0, "contact")  # read, never sent
    _form_session(client, "s-host", "v-host", T0, "host")  # read, then the host's form sent
    send(client, "s-host", "v-host", T0 + 5000, "form_submitted", form="host")
    _form_session(client, "s-sent", "v-sent", T0, "contact")  # read, then sent anyway
    file_ticket(client, "s-sent", "v-sent", "ticket-f-000001")
    # shown but none opened: an article was never read, nothing useful seen
    send(
        client,
        "s-unread",
        "v-unread",
        T0,
        "form_suggestions_shown",
        form="host",
        article_ids=["billing-failed-payments"],
        answered=False,
    )
    log = log_of(client)
    log.run_once("test", now=T0 + HOUR)
    assert "s-form" not in outcomes(client)  # a ticket may still follow
    log.run_once("test", now=T0 + 2 * DAY)
    assert outcomes(client) == {
        "s-form": "deflected_form",
        "s-host": "ticket",
        "s-sent": "ticket",
        "s-unread": "abandoned",
    }
    admin = client.get(
        "/api/v1/admin/deflections", params={"outcome": "deflected_form"}, headers=ADMIN
    )
    assert admin.status_code == 200, admin.text
    body = admin.json()
    assert [r["session_id"] for r in body["deflections"]] == ["s-form"]
    assert "deflected_form" in body["outcomes"]


def test_page_help_and_form_deflections_are_counted_per_page(client: Client) -> None:
    page = "/settings/billing/plan"
    send(client, "s-page", "v-page", T0, "widget_opened", page, source="launcher")
    send(
        client,
        "s-page",
        "v-page",
        T0 + 100,
        "page_help_shown",
        page,
        article_ids=["billing-change-plan", "billing-cancel-subscription"],
        questions=1,
    )
    send(
        client,
        "s-page",
        "v-page",
        T0 + 200,
        "article_opened",
        page,
        article_id="billing-change-plan",
        source="page",
    )
    _form_session(client, "s-form", "v-form", T0 + HOUR, "contact")
    services_of(client.app).statistics.rebuild(now=T0 + 2 * DAY)
    response = client.get(
        "/api/v1/admin/pages",
        params={"start": "2025-11-24", "end": "2025-11-24"},
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    rows = {r["key"]: r for r in response.json()["pages"]}
    assert rows[page]["extra"]["page_help_shown"] == 1
    assert rows[page]["extra"]["page_help_clicked"] == 1
    billing = rows["/settings/billing"]  # where the contact form was
    assert billing["extra"]["deflected_form"] == 1 and billing["deflections"] == 1
    overview = client.get(
        "/api/v1/admin/overview",
        params={"start": "2025-11-24", "end": "2025-11-24"},
        headers=ADMIN,
    ).json()
    assert overview["overview"]["totals"]["deflected_form"] == 1
