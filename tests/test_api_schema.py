"""The API keeps to its own OpenAPI schema, whatever a client sends (schemathesis).

A real `frontdesk serve` answers from an ingested knowledge base, on SQLite and on
PostgreSQL; schemathesis reads `/schema/openapi.json` from it and generates requests to
every public operation, within the schema (positive) and outside it (negative). No answer
may be a server error, each must be documented (status code, content type and body), and
invalid input must be rejected with a 4xx. A request within the schema may still get a
documented 400: the server checks more than a schema can say (an email address that is
one, text that is not blank), so acceptance of positive requests is not required.

The admin API is fuzzed the same way with its token: no server error, invalid input
rejected (its answers are JSON, CSV or markdown by `format`, so their shape is not
checked here: tests/admin does). And stateful sequences: a generated batch of events,
then a generated ticket of the same visitor, then that visitor's erasure, then every
export: no step may answer a server error. Each test prints how many requests it sent
and how many answered 5xx.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.errors import FailureGroup

from ingest.embedding import SentenceTransformerEmbedder
from ingest.versions import EmbeddedVersions
from tests.conftest import ROOT, SAMPLE_KB, cli_env, free_port, frontdesk, make_job, wait_for_port

PUBLIC_OPERATIONS = {
    "GET /healthz",
    "GET /readyz",
    "POST /api/v1/ask",
    "GET /api/v1/search",
    "GET /api/v1/page-articles",
    "GET /api/v1/articles/{article_id}",
    "POST /api/v1/events",
    "GET /api/v1/prompts",
    "POST /api/v1/tickets",
    "POST /api/v1/helpdesk/events",
}
NOT_PUBLIC = r"^/(api/v1/admin|admin|metrics|demo|dashboard)(/|$)"
ADMIN_TOKEN = "fuzz-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SEQUENCES = 60
EXPORTS = ("deflections", "overview", "pages", "questions", "gaps", "prompts", "articles")
EXAMPLES_PER_OPERATION_AND_MODE = 100
MIN_REQUESTS = 1000
ARTICLES = {
    "account/reset-password.md": "account-reset-password",
    "billing/update-payment-card.md": "billing-update-payment-card",
    "billing/download-invoices.md": "billing-download-invoices",
    "integrations/slack.md": "integrations-slack",
    "de/reset-password.md": "account-reset-password-de",
}
UNLIMITED = json.dumps({name: "1000000/minute" for name in ("ask", "events", "tickets")})
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "negative_data_rejection": {"expected-statuses": ["400", "403", "404", "413", "429"]}
        }
    }
)
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CHECKS = {
    GenerationMode.POSITIVE: RESPONSE_CHECKS,
    GenerationMode.NEGATIVE: [*RESPONSE_CHECKS, negative_data_rejection],
}


class Served(NamedTuple):
    url: str
    log: Path


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    real_embedder: SentenceTransformerEmbedder,
    module_database_url: str,
) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("api-schema")
    kb, data = root / "kb", root / "data"
    for name in ARTICLES:
        (kb / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE_KB / name, kb / name)
    make_job(kb, EmbeddedVersions(data, "frontdesk"), real_embedder).run()
    env = cli_env(
        data,
        kb,
        FRONTDESK_DATABASE_URL=module_database_url,
        FRONTDESK_PROMPTS_FILE=str(ROOT / "prompts.yaml"),
        FRONTDESK_RATE_LIMITS_PER_VISITOR=UNLIMITED,
        FRONTDESK_RATE_LIMITS_PER_ADDRESS=UNLIMITED,
        FRONTDESK_RATE_LIMITS_PER_SITE=UNLIMITED,
        FRONTDESK_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    port = free_port()
    with (root / "server.log").open("wb") as log:
        process = subprocess.Popen(
            frontdesk("serve", "--port", str(port)), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, process)
            yield Served(f"http://127.0.0.1:{port}", root / "server.log")
        finally:
            process.terminate()
            process.wait(timeout=30)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def with_unknown_fields_forbidden(raw: dict[str, Any]) -> dict[str, Any]:
    """Request bodies reject unknown fields (msgspec `forbid_unknown_fields`), which the
    generated schema does not say: without this, most generated bodies would carry some."""
    components = raw["components"]["schemas"]
    pending = [
        name
        for path in raw["paths"].values()
        for operation in path.values()
        for name in _refs(operation.get("requestBody", {}))
    ]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        component = components[name]
        if "properties" in component:
            component.setdefault("additionalProperties", False)
        pending.extend(_refs(component))
    return raw


def api_schema(url: str) -> Any:
    raw = requests.get(f"{url}/schema/openapi.json", timeout=30).json()
    return schemathesis.openapi.from_dict(with_unknown_fields_forbidden(raw), config=CONFIG)


def public_operations(url: str) -> list[APIOperation]:
    operations = []
    for result in api_schema(url).exclude(path_regex=NOT_PUBLIC).get_all_operations():
        operations.append(result.ok())  # an unreadable operation fails the test here
    return operations


def admin_operations(url: str) -> list[APIOperation]:
    selected = api_schema(url).include(path_regex=r"^/api/v1/admin/")
    return [result.ok() for result in selected.get_all_operations()]


def operation(url: str, label: str) -> APIOperation:
    return next(o for o in [*public_operations(url), *admin_operations(url)] if o.label == label)


def _with_email(case: Case, email: str | None) -> Case:
    if email is not None:
        case.body = {**case.body, "email": email}
    return case


def positive_cases(operation: APIOperation) -> st.SearchStrategy[Case]:
    """Requests within the schema, some with what the server checks beyond it: an article
    that exists, an email address that is one."""
    generated = operation.as_strategy()
    if operation.label == "GET /api/v1/articles/{article_id}":
        known = st.sampled_from(sorted(ARTICLES.values())).flatmap(
            lambda article_id: operation.as_strategy(path_parameters={"article_id": article_id})
        )
        return st.one_of(generated, known)
    if operation.label == "POST /api/v1/tickets":
        emails = st.sampled_from([None, "dana@example.com", "ünïcode@bücher.example"])
        return st.builds(_with_email, generated, emails)
    return generated


def takes_input(operation: APIOperation) -> bool:
    return any((operation.path_parameters, operation.query, operation.headers, operation.body))


def fuzz(operation: APIOperation, mode: GenerationMode, send: Callable[[Case], None]) -> None:
    if mode is GenerationMode.POSITIVE:
        cases = positive_cases(operation)
    else:
        cases = operation.as_strategy(generation_mode=mode)

    @settings(
        max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def requests_to(case: Case) -> None:
        send(case)

    requests_to()


def test_public_api_answers_every_generated_request_as_its_schema_documents(
    served: Served,
) -> None:
    sent: Counter[str] = Counter()
    failures: dict[str, FailureGroup] = {}
    with requests.Session() as http:
        for operation in public_operations(served.url):
            modes = list(GenerationMode) if takes_input(operation) else [GenerationMode.POSITIVE]
            for mode in modes:

                def send(case: Case, mode: GenerationMode = mode) -> None:
                    sent[case.operation.label] += 1
                    case.call_and_validate(
                        base_url=served.url, session=http, checks=CHECKS[mode], timeout=30
                    )

                try:
                    fuzz(operation, mode, send)
                except FailureGroup as exc:
                    failures[f"{operation.label} ({mode.value})"] = exc
    print(f"\npublic fuzz: {sent.total()} requests, {len(failures)} operations failing")
    if failures:
        report = "".join(f"\n\n{where}: {exc}" for where, exc in failures.items())
        pytest.fail(
            f"schema broken by {', '.join(failures)} (server log: {served.log}){report}",
            pytrace=False,
        )
    assert set(sent) == PUBLIC_OPERATIONS, f"operations tested: {sorted(sent)}"
    assert sent.total() >= MIN_REQUESTS, f"only {sent.total()} requests: {dict(sent)}"


ADMIN_CHECKS = {
    GenerationMode.POSITIVE: [not_a_server_error],
    GenerationMode.NEGATIVE: [not_a_server_error, negative_data_rejection],
}


def test_admin_api_answers_every_generated_request_without_a_server_error(
    served: Served,
) -> None:
    sent: Counter[str] = Counter()
    server_errors: Counter[str] = Counter()
    failures: dict[str, FailureGroup] = {}
    with requests.Session() as http:
        http.headers.update(ADMIN)
        for admin_operation in admin_operations(served.url):
            modes = (
                list(GenerationMode) if takes_input(admin_operation) else [GenerationMode.POSITIVE]
            )
            for mode in modes:

                def send(case: Case, mode: GenerationMode = mode) -> None:
                    sent[case.operation.label] += 1
                    response = case.call(base_url=served.url, session=http, timeout=60)
                    if response.status_code >= 500:
                        server_errors[case.operation.label] += 1
                    case.validate_response(response, checks=ADMIN_CHECKS[mode])

                try:
                    fuzz(admin_operation, mode, send)
                except FailureGroup as exc:
                    failures[f"{admin_operation.label} ({mode.value})"] = exc
    print(f"\nadmin fuzz: {sent.total()} requests, {server_errors.total()} answered 5xx")
    if failures:
        report = "".join(f"\n\n{where}: {exc}" for where, exc in failures.items())
        pytest.fail(f"admin API broken by {', '.join(failures)} ({served.log}){report}")
    assert len(sent) >= 10, f"operations tested: {sorted(sent)}"
    assert server_errors.total() == 0


def _visitor_of(case: Case, visitor: str, site: str) -> Case:
    """A generated body, made to belong to one visitor of one site."""
    body = dict(case.body)
    body["site"] = site
    if "events" in body:
        body["events"] = [{**e, "visitor_id": visitor} for e in body["events"]]
    else:
        body["visitor_id"] = visitor
    case.body = body
    return case


def test_events_then_a_ticket_then_erasure_then_every_export_never_answer_a_server_error(
    served: Served,
) -> None:
    events_operation = operation(served.url, "POST /api/v1/events")
    tickets_operation = operation(served.url, "POST /api/v1/tickets")
    erase_operation = operation(served.url, "DELETE /api/v1/admin/visitors/{visitor_id}")
    statuses: Counter[int] = Counter()
    visitors = st.from_regex(r"\Av-[a-z0-9]{1,20}\Z")
    sites = st.from_regex(r"\A[a-z]{1,10}\Z")
    emails = st.sampled_from(["dana@example.com", "ünïcode@bücher.example"])

    @settings(
        max_examples=SEQUENCES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        batch=events_operation.as_strategy(),
        ticket=tickets_operation.as_strategy(),
        visitor=visitors,
        site=sites,
        email=emails,
    )
    def sequence(batch: Case, ticket: Case, visitor: str, site: str, email: str) -> None:
        with requests.Session() as http:
            steps = [
                _visitor_of(batch, visitor, site),
                _with_email(_visitor_of(ticket, visitor, site), email),
            ]
            erase = erase_operation.Case(path_parameters={"visitor_id": visitor})
            for step in steps:
                statuses[step.call(base_url=served.url, session=http).status_code] += 1
            answered = erase.call(base_url=served.url, session=http, headers=ADMIN)
            statuses[answered.status_code] += 1
            for name in EXPORTS:
                for fmt in ("json", "csv"):
                    response = http.get(
                        f"{served.url}/api/v1/admin/{name}",
                        params={"format": fmt},
                        headers=ADMIN,
                        timeout=60,
                    )
                    statuses[response.status_code] += 1
                    assert response.status_code < 500, f"{name} {fmt}: {response.text[:300]}"
            assert answered.status_code == 200, answered.text

    sequence()
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    print(f"\nsequences: {statuses.total()} requests, {server_errors} answered 5xx: {statuses}")
    assert server_errors == 0
    assert statuses[200] >= SEQUENCES * len(EXPORTS) * 2
