"""`/widget.js` and the demo host product, as a browser fetches them."""

from __future__ import annotations

import gzip
import hashlib
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
    (tmp_path / "panel.js").write_text("(function(){/* the panel */})();\n" * 50)
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


def test_the_panel_file_is_served_only_under_its_content_hash_and_cached_forever(
    client: Client, tmp_path: Path
) -> None:
    panel = (tmp_path / "panel.js").read_bytes()
    digest = hashlib.sha256(panel).hexdigest()[:16]
    response = client.get(f"/widget/{digest}.js", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.content == panel
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["access-control-allow-origin"] == "*"
    assert client.get("/widget/panel.js").status_code == 404


def test_the_built_first_load_names_the_panel_file_the_server_serves(tmp_path: Path) -> None:
    """The build writes the panel's content hash into the first load; the server computes the
    same hash from the file, so the URL the first load fetches is the one served."""
    dist = ROOT / "widget" / "dist"
    if not (dist / "panel.js").exists():
        pytest.fail("widget/dist/panel.js is missing: run `make install`")
    app = create_app(
        Settings(data_dir=tmp_path / "data"),
        embedder=FakeEmbedder(),
        widget_file=dist / "widget.js",
    )
    with TestClient(app) as client:
        digest = hashlib.sha256((dist / "panel.js").read_bytes()).hexdigest()[:16]
        assert f"/widget/{digest}.js" in client.get("/widget.js").text
        assert client.get(f"/widget/{digest}.js").content == (dist / "panel.js").read_bytes()


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
    "path",
    [
        "/demo/",
        "/demo/settings/billing",
        "/demo/projects/7/board",
        "/demo/onboarding",
        "/demo/support",
    ],
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
    """The first load (what every page pays for) ≤ 6 KB gzipped; with the panel ≤ 14 KB."""
    dist = ROOT / "widget" / "dist"
    if not (dist / "panel.js").exists():
        pytest.fail("widget/dist/ is not built: run `make install`")
    first, panel = (
        len(gzip.compress((dist / name).read_bytes(), compresslevel=9))
        for name in ("widget.js", "panel.js")
    )
    assert first <= 6 * 1024, f"widget.js is {first} bytes gzipped, over the 6 KB budget"
    both = first + panel
    assert both <= 14 * 1024, f"widget.js and panel.js are {both} bytes gzipped, over 14 KB"
