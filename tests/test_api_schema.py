"""The public API keeps to its own OpenAPI schema, whatever a client sends (schemathesis).

A real `frontdesk serve` answers from an ingested knowledge base, on SQLite and on
PostgreSQL; schemathesis reads `/schema/openapi.json` from it and generates requests to
every public operation, within the schema (positive) and outside it (negative). No answer
may be a server error, each must be documented (status code, content type and body), and
invalid input must be rejected with a 4xx. A request within the schema may still get a
documented 400: the server checks more than a schema can say (an email address that is
one, text that is not blank), so acceptance of positive requests is not required.
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
    "GET /api/v1/articles/{article_id}",
    "POST /api/v1/events",
    "GET /api/v1/prompts",
    "POST /api/v1/tickets",
}
NOT_PUBLIC = r"^/(api/v1/admin|admin|metrics|demo|dashboard)(/|$)"
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


def public_operations(url: str) -> list[APIOperation]:
    raw = requests.get(f"{url}/schema/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(with_unknown_fields_forbidden(raw), config=CONFIG)
    operations = []
    for result in schema.exclude(path_regex=NOT_PUBLIC).get_all_operations():
        operations.append(result.ok())  # an unreadable operation fails the test here
    return operations


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
    if failures:
        report = "".join(f"\n\n{where}: {exc}" for where, exc in failures.items())
        pytest.fail(
            f"schema broken by {', '.join(failures)} (server log: {served.log}){report}",
            pytrace=False,
        )
    assert set(sent) == PUBLIC_OPERATIONS, f"operations tested: {sorted(sent)}"
    assert sent.total() >= MIN_REQUESTS, f"only {sent.total()} requests: {dict(sent)}"
