"""Browser tests: Debian's Chromium driven by Playwright, against a real `frontdesk serve`.

One server process and one browser per session; each test gets a fresh browser context
(its own localStorage) and fails on any uncaught page error or Content-Security-Policy
violation. Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from ingest.versions import EmbeddedVersions, IndexVersions
from tests.conftest import ROOT, SAMPLE_KB, cli_env, free_port, frontdesk, wait_for_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
expect.set_options(timeout=15_000)  # a loaded 2-core machine answers slower than 5 s now and then

# Collects what a strict page would only print to the console.
WATCH_PAGE = """
window.__frontdeskTest = {csp: [], errors: []};
document.addEventListener('securitypolicyviolation', (e) => {
  window.__frontdeskTest.csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


class FrontdeskServer:
    """A `frontdesk serve` process that tests may stop, kill and start again on one port."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "serve.log"

    def start(self) -> None:
        env = cli_env(self.data_dir, SAMPLE_KB, **self.env)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                frontdesk("serve", "--port", str(self.port)), env=env, stdout=log, stderr=log
            )
        wait_for_port(self.port, self.process, timeout=120)
        httpx.get(f"{self.url}/healthz", timeout=60).raise_for_status()

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.process.wait(timeout=30)
        self.process = None


@pytest.fixture(scope="session")
def built_widget() -> Path:
    """The widget as the sources are now (esbuild takes milliseconds)."""
    if shutil.which("npm") is None:
        pytest.fail("npm is missing: `make install` installs it")
    subprocess.run(
        ["npm", "run", "--prefix", str(ROOT / "widget"), "--silent", "build"], check=True
    )
    return ROOT / "widget" / "dist" / "widget.js"


@pytest.fixture(scope="session")
def frontdesk_server(
    tmp_path_factory: pytest.TempPathFactory, sample_index: IndexVersions, built_widget: Path
) -> Iterator[FrontdeskServer]:
    assert isinstance(sample_index, EmbeddedVersions)
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(sample_index.data_dir / "index", data_dir / "index")  # no database: ours
    server = FrontdeskServer(data_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prompts_server(
    tmp_path_factory: pytest.TempPathFactory, sample_index: IndexVersions, built_widget: Path
) -> Iterator[FrontdeskServer]:
    """A server with a copy of the sample `prompts.yaml` (`server.env["FRONTDESK_PROMPTS_FILE"]`),
    which a test may edit or break."""
    assert isinstance(sample_index, EmbeddedVersions)
    data_dir = tmp_path_factory.mktemp("browser-prompts") / "data"
    shutil.copytree(sample_index.data_dir / "index", data_dir / "index")
    prompts = data_dir / "prompts.yaml"
    shutil.copy(ROOT / "prompts.yaml", prompts)
    server = FrontdeskServer(data_dir, FRONTDESK_PROMPTS_FILE=str(prompts))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One browser for the browser tests; gone before other tests run (Playwright's sync API
    keeps an event loop running in the main thread while it is open)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class PageProblems:
    """Uncaught errors and CSP violations seen by a page; a test ends with none."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.console: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.console.append(message.text) if message.type == "error" else None,
        )

    def csp_violations(self, page: Page) -> list[str]:
        seen: list[str] = page.evaluate("window.__frontdeskTest ? window.__frontdeskTest.csp : []")
        refused = [m for m in self.console if "Content Security Policy" in m]
        return seen + refused


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.add_init_script(WATCH_PAGE)
    yield context
    context.close()


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(context: BrowserContext, problems: PageProblems) -> Iterator[Page]:
    page = context.new_page()
    problems.attach(page)
    yield page
    if not page.is_closed():
        violations = problems.csp_violations(page)
        assert not problems.errors, f"uncaught errors in the page: {problems.errors}"
        assert not violations, f"Content-Security-Policy violations: {violations}"


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def query(server: FrontdeskServer, sql: str) -> list[dict[str, Any]]:
    """Rows from the server's database (SQLite or PostgreSQL); JSON columns as text."""
    url = server.env.get("FRONTDESK_DATABASE_URL")
    if url:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(url, row_factory=dict_row) as pg:
            return list(pg.execute(sql.replace("data FROM", "data::text AS data FROM")).fetchall())
    import sqlite3

    with contextlib.closing(sqlite3.connect(server.data_dir / "frontdesk.db")) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql).fetchall()]


EVENT_COLUMNS = "id, site, type, session_id, visitor_id, page_url, route, ts, received_at, data"


def stored_events(server: FrontdeskServer) -> list[dict[str, Any]]:
    """Every event row in the server's database, oldest first (`data` as JSON text)."""
    return query(server, f"SELECT {EVENT_COLUMNS} FROM events ORDER BY received_at, ts")


def visitor_id(page: Page) -> str:
    """The demo visitor's id, as the widget keeps it in localStorage."""
    raw = page.evaluate("localStorage.getItem('frontdesk:demo:visitor')")
    assert raw, "the widget keeps a visitor id"
    return str(json.loads(raw) if raw.startswith('"') else raw)


def wait_for_events(
    server: FrontdeskServer,
    visitor: str,
    done: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 20,
) -> list[dict[str, Any]]:
    """The visitor's stored events, once `done` holds for them."""
    deadline = time.monotonic() + timeout
    mine: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        mine = [e for e in stored_events(server) if e["visitor_id"] == visitor]
        if done(mine):
            return mine
        time.sleep(0.2)
    raise AssertionError(f"events never arrived; stored: {[e['type'] for e in mine]}")
