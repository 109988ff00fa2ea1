"""`/widget.js` and the demo host product, as a browser fetches them."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.host.demo import CSP, SNIPPET_STUB
from server.settings import Settings
from tests.conftest import ROOT
from tests.fakes import FakeEmbedder

Client = TestClient[Any]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    widget = tmp_path / "widget.js"
    widget.write_text("(function(){/* the widget */})();\n" * 50)
    settings = Settings(data_dir=tmp_path / "data")
    app = create_app(settings, embedder=FakeEmbedder(), widget_file=widget)
    with TestClient(app) as client:
        yield client


def test_widget_is_gzipped_revalidated_by_etag_and_open_to_every_origin(client: Client) -> None:
    response = client.get("/widget.js", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.text.startswith("(function(){")  # httpx undid the gzip
    etag = response.headers["etag"]
    again = client.get("/widget.js", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""


def test_hashed_widget_url_is_cached_forever_and_unknown_hashes_are_404(client: Client) -> None:
    digest = client.get("/widget.js").headers["etag"].strip('"')
    response = client.get(f"/widget/{digest}.js")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert client.get("/widget/0123456789abcdef.js").status_code == 404


def test_a_rebuilt_widget_is_served_without_a_restart(client: Client, tmp_path: Path) -> None:
    before = client.get("/widget.js").headers["etag"]
    (tmp_path / "widget.js").write_text("(function(){/* rebuilt */})();")
    after = client.get("/widget.js")
    assert after.headers["etag"] != before and "rebuilt" in after.text


def test_missing_build_says_how_to_build_it(client: Client, tmp_path: Path) -> None:
    (tmp_path / "widget.js").unlink()
    response = client.get("/widget.js")
    assert response.status_code == 503
    assert "npm run build" in response.json()["detail"]


def test_api_allows_cross_origin_calls_from_the_host_page(client: Client) -> None:
    preflight = client.options(
        "/api/v1/ask",
        headers={
            "origin": "https://app.example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "path", ["/demo/", "/demo/settings/billing", "/demo/projects/7/board", "/demo/onboarding"]
)
def test_demo_pages_embed_the_readme_snippet_under_a_strict_csp(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self' 'sha256-" in CSP and "style-src 'self';" in CSP
    assert f"<script>{SNIPPET_STUB}</script>" in response.text
    readme = (ROOT / "README.md").read_text()
    assert SNIPPET_STUB in readme
    assert '/widget.js" data-site="demo"></script>' in response.text


def test_demo_has_no_page_for_unknown_paths(client: Client) -> None:
    assert client.get("/demo/admin/secrets").status_code == 404


def test_built_widget_fits_the_size_budget() -> None:
    built = ROOT / "widget" / "dist" / "widget.js"
    if not built.exists():
        pytest.fail("widget/dist/widget.js is missing: run `make install`")
    size = len(gzip.compress(built.read_bytes(), compresslevel=9))
    assert size <= 10 * 1024, f"widget.js is {size} bytes gzipped, over the 10 KB budget"
