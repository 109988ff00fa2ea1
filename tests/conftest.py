"""Shared fixtures: knowledge bases in temp folders, embedders, a real Chroma server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from ingest.chunking import ChunkingOptions
from ingest.embedding import SentenceTransformerEmbedder
from ingest.job import IngestJob
from ingest.versions import IndexVersions, index_versions
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_KB = ROOT / "kb_articles"
BIN = Path(sys.executable).parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


def write_article(kb: Path, relative: str, front_matter: str, body: str) -> Path:
    path = kb / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front_matter.strip()}\n---\n{body.lstrip()}", encoding="utf-8")
    return path


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    """Four real articles from the sample knowledge base, in a folder tests may edit."""
    kb = tmp_path / "kb"
    for name in (
        "billing/update-payment-card.md",
        "billing/download-invoices.md",
        "account/reset-password.md",
        "integrations/slack.md",
    ):
        target = kb / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE_KB / name, target)
    return kb


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    embedder.embed(["warm up"])
    return embedder


@contextmanager
def background_server(command: list[str], port: int, log: Path) -> Iterator[None]:
    """A server process for the tests, its output in `log`, once it listens on `port`."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on a free loopback port, for the whole session."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    command = [str(BIN / "chroma"), "run", "--path", str(path / "data")]
    with background_server(
        [*command, "--host", "127.0.0.1", "--port", str(port)], port, path / "server.log"
    ):
        yield f"http://127.0.0.1:{port}"


def _postgres_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        pytest.fail("PostgreSQL is missing: `make test` installs Debian's postgresql")
    return versions[-1].parent


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; CI runs as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server on a free loopback port, for the whole session: its base URL."""
    pg = _postgres_bin()
    # not under pytest's temp dir: that one is private to root, and the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="frontdesk-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    subprocess.run(
        _as_postgres(
            [
                str(pg / "initdb"),
                "-D",
                str(root / "data"),
                "-A",
                "trust",
                "-U",
                "frontdesk",
                "--no-sync",
            ]
        ),
        check=True,
        **quiet,
    )
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    )
    subprocess.run(
        _as_postgres(
            [
                str(pg / "pg_ctl"),
                "-D",
                str(root / "data"),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        **quiet,
    )
    try:
        yield f"postgresql://frontdesk@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres([str(pg / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"]),
            check=False,
            **quiet,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server (Debian's `redis-server`) on a free loopback port: its URL."""
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)]
    with background_server(
        [*command, "--save", "", "--appendonly", "no"], port, folder / "server.log"
    ):
        yield f"redis://127.0.0.1:{port}/0"


_database_counter = iter(range(100_000))


def _new_database(request: pytest.FixtureRequest, directory: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{directory / 'frontdesk.db'}"
    import psycopg

    base: str = request.getfixturevalue("postgres_server")
    name = f"test_{os.getpid()}_{next(_database_counter)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: a SQLite file, or a new PostgreSQL database."""
    return _new_database(request, tmp_path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """Like `database_url`, shared by the tests of one module."""
    return _new_database(request, tmp_path_factory.mktemp("db"))


_prefix_counter = iter(range(10_000))


@pytest.fixture(params=["embedded", "server"])
def versions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexVersions]:
    """Index versions in both modes: embedded in a temp folder, and on the Chroma server."""
    if request.param == "embedded":
        store = index_versions(tmp_path / "data", "frontdesk")
    else:
        url = request.getfixturevalue("chroma_server")
        store = index_versions(tmp_path / "data", f"test{next(_prefix_counter):04d}", url)
    yield store
    store.close()


def make_job(
    kb: Path, versions: IndexVersions, embedder: object, options: ChunkingOptions | None = None
) -> IngestJob:
    return IngestJob(kb, versions, embedder, options or ChunkingOptions())  # type: ignore[arg-type]


def cli_env(data_dir: Path, kb_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a `frontdesk` subprocess: its own data dir and knowledge base."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        {
            "FRONTDESK_DATA_DIR": str(data_dir),
            "FRONTDESK_KB_DIR": str(kb_dir),
            "FRONTDESK_PROMPTS_FILE": str(data_dir / "no-prompts.yaml"),  # not the repo's sample
            "HF_HUB_OFFLINE": "1",
            **extra,
        }
    )
    return env


def frontdesk(*args: str) -> list[str]:
    return [str(BIN / "frontdesk"), *args]


@pytest.fixture(scope="session")
def sample_index(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> IndexVersions:
    """The sample knowledge base ingested with the real model and calibrated as `frontdesk
    ingest` does, once per session (read only)."""
    from server.ask.calibration import calibration_step
    from server.ask.retrieval import Retriever

    versions = index_versions(tmp_path_factory.mktemp("sample-index"), "frontdesk")
    calibrate = calibration_step(real_embedder, Retriever(), 0.9)
    IngestJob(SAMPLE_KB, versions, real_embedder, ChunkingOptions(), calibrate=calibrate).run()
    return versions


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient[Any]]:
    """The app on each kind of database, with the fake embedder and the admin token
    `admin-secret`; it takes events of any age (tests/sessions.py replays November 2025)."""
    from server.app import create_app
    from server.settings import Settings

    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_token="admin-secret",
        event_max_age_days=36_500,
    )
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as client:
        yield client
