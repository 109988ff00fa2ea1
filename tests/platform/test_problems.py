"""Errors are problem+json: a body no decoder can read is a 400, an unexpected error a 500
that is logged once, with its traceback and request id."""

from __future__ import annotations

import logging

import pytest
from litestar import get

from tests.sessions import Client

JSON_ENDPOINTS = ("/api/v1/ask", "/api/v1/events", "/api/v1/tickets")


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_json_nested_a_thousand_levels_deep_is_a_400_naming_the_body(
    client: Client, path: str
) -> None:
    deep = '{"site": "acme", "events": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.post(path, content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith("body: ")


@get("/test-only/boom", sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("the database went away")


def test_an_unexpected_error_is_problem_json_logged_once_with_traceback_and_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    client.app.register(boom)
    with caplog.at_level(logging.INFO):
        response = client.get("/test-only/boom", headers={"X-Request-ID": "request-0001-boom"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["x-request-id"] == "request-0001-boom"
    problem = response.json()
    assert problem["status"] == 500 and problem["title"] == "Internal Server Error"
    assert "request-0001-boom" in problem["detail"]
    assert "database went away" not in response.text  # no internals to the client
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1
    assert logged[0].levelno == logging.ERROR
    assert "GET /test-only/boom" in logged[0].getMessage()
    assert "request-0001-boom" in logged[0].getMessage()
    assert isinstance(logged[0].exc_info[1], RuntimeError)  # the traceback goes with it
