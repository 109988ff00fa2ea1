"""Index versions: every ingest builds a complete new version, then flips one pointer.

Embedded Chroma is single-process: a reader that has a collection open misses
(or fails on) what another process writes into it. So no published version is
ever written again. An ingest copies the current version, applies its changes
to the copy, and only when the copy is complete moves the pointer:

* embedded: versions are folders under ``<data dir>/index/`` and the pointer is
  the file ``CURRENT``, replaced atomically;
* server (``FRONTDESK_CHROMA_URL``): versions are collections named
  ``<prefix>-<version>`` and the pointer is the metadata of ``<prefix>-pointer``.

A killed ingest leaves an unreferenced version, removed by the next run. The
current and the previous version are kept, so a reader that has not yet noticed
the flip keeps working.
"""

from __future__ import annotations

import calendar
import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ingest.errors import IngestLockedError
from ingest.store import IndexCollection

logger = logging.getLogger(__name__)

ABANDONED_AFTER_SECONDS = 3600.0


@dataclass(frozen=True)
class Pointer:
    current: str | None = None
    previous: str | None = None


def new_version_name() -> str:
    """Sortable by creation time: ``v20261123T182501123-3f9a``."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}"
    return f"v{stamp}-{secrets.token_hex(2)}"


def version_age(version: str) -> float:
    """Seconds since a version was created, from its name (0 when it cannot be read)."""
    try:
        created = calendar.timegm(time.strptime(version[1:16], "%Y%m%dT%H%M%S"))
    except ValueError:
        return 0.0
    return time.time() - created


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class IndexVersions:
    """Where index versions live. Subclasses: :class:`EmbeddedVersions`, :class:`ServerVersions`."""

    local_pointer = False  # True when `change_token` reads a local file, not a server

    def __init__(self, data_dir: Path, prefix: str) -> None:
        self.data_dir = data_dir
        self.prefix = prefix

    # -- pointer ---------------------------------------------------------------------
    def read_pointer(self) -> Pointer:
        raise NotImplementedError

    def change_token(self) -> object:
        """A cheap value that changes whenever the pointer may have moved."""
        raise NotImplementedError

    def publish(self, version: str) -> None:
        raise NotImplementedError

    # -- versions --------------------------------------------------------------------
    def list_versions(self) -> list[str]:
        raise NotImplementedError

    def create(self, base: str | None) -> str:
        """A new, unpublished version: a copy of ``base`` or empty."""
        raise NotImplementedError

    def drop(self, version: str) -> None:
        raise NotImplementedError

    def connect(self, version: str) -> Any:
        """A Chroma client that sees ``version``."""
        raise NotImplementedError

    def collection_name(self, version: str) -> str:
        raise NotImplementedError

    def release(self, client: Any) -> None:
        """Let go of a client from :meth:`connect` (flushes an embedded store to disk)."""

    def close(self) -> None:
        """Close any connection this object keeps open."""

    # -- shared ------------------------------------------------------------------------
    def open(self, version: str, model_id: str | None = None) -> tuple[Any, IndexCollection]:
        client = self.connect(version)
        try:
            return client, IndexCollection.open(client, self.collection_name(version), model_id)
        except Exception:
            self.release(client)
            raise

    def cleanup(self) -> list[str]:
        """Remove versions no reader can be using: all but the current and the previous."""
        pointer = self.read_pointer()
        keep = {pointer.current, pointer.previous}
        removed = []
        for version in self.list_versions():
            superseded = pointer.current is not None and version < pointer.current
            if version not in keep and (superseded or self.abandoned(version)):
                self.drop(version)
                removed.append(version)
        if removed:
            logger.info("removed old index versions versions=%s", ",".join(removed))
        return removed

    def abandoned(self, version: str) -> bool:
        """Whether an unpublished version newer than the current one is left from a dead run.

        Embedded mode holds the ingest lock while cleaning up, so no other run is writing.
        """
        return True

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Only one ingest at a time writes versions from this data dir."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "ingest.lock"
        with path.open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                owner = handle.read().strip() or "unknown"
                raise IngestLockedError(
                    f"another ingest is running (pid {owner}); lock file {path}"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class EmbeddedVersions(IndexVersions):
    """Versions as folders under ``<data dir>/index``, pointer in ``CURRENT``."""

    local_pointer = True

    @property
    def root(self) -> Path:
        return self.data_dir / "index"

    @property
    def pointer_file(self) -> Path:
        return self.root / "CURRENT"

    def read_pointer(self) -> Pointer:
        try:
            data = json.loads(self.pointer_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Pointer()
        return Pointer(data.get("current"), data.get("previous"))

    def change_token(self) -> object:
        try:
            stat = self.pointer_file.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def publish(self, version: str) -> None:
        pointer = self.read_pointer()
        payload = json.dumps({"current": version, "previous": pointer.current})
        tmp = self.root / f".CURRENT.{os.getpid()}"
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.pointer_file)
        directory = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def list_versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name.startswith("v"))

    def create(self, base: str | None) -> str:
        version = new_version_name()
        self.root.mkdir(parents=True, exist_ok=True)
        if base is not None:
            shutil.copytree(self.root / base, self.root / version)
        else:
            (self.root / version).mkdir()
        return version

    def drop(self, version: str) -> None:
        shutil.rmtree(self.root / version, ignore_errors=True)

    def connect(self, version: str) -> Any:
        import chromadb

        return chromadb.PersistentClient(path=str(self.root / version), settings=_chroma_settings())

    def collection_name(self, version: str) -> str:
        return self.prefix

    def release(self, client: Any) -> None:
        client.close()


class ServerVersions(IndexVersions):
    """Versions as collections on a Chroma server, pointer in a small collection's metadata."""

    POINTER_SUFFIX = "-pointer"

    def __init__(self, data_dir: Path, prefix: str, url: str) -> None:
        super().__init__(data_dir, prefix)
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if parts.scheme == "https" else 8000)
        self._ssl = parts.scheme == "https"
        self._client: Any = None

    def _shared_client(self) -> Any:
        if self._client is None:
            import chromadb

            self._client = chromadb.HttpClient(
                host=self._host, port=self._port, ssl=self._ssl, settings=_chroma_settings()
            )
        return self._client

    def abandoned(self, version: str) -> bool:
        """Another host may be ingesting into the same server: only versions an hour old."""
        return version_age(version) > ABANDONED_AFTER_SECONDS

    def close(self) -> None:
        if self._client is not None:
            # Client.close() releases Chroma's system but leaves its HTTP sessions (the
            # client's and its admin client's) open.
            owners = [self._client, getattr(self._client, "_admin_client", None)]
            sessions = [getattr(getattr(o, "_server", None), "_session", None) for o in owners]
            self._client.close()
            for session in sessions:
                if session is not None:
                    session.close()
            self._client = None

    def _pointer_collection(self) -> Any:
        return self._shared_client().get_or_create_collection(
            self.prefix + self.POINTER_SUFFIX,
            embedding_function=None,
            metadata={"frontdesk_pointer": 1},
        )

    def read_pointer(self) -> Pointer:
        metadata = self._pointer_collection().metadata or {}
        return Pointer(metadata.get("current") or None, metadata.get("previous") or None)

    def change_token(self) -> object:
        return self.read_pointer().current

    def publish(self, version: str) -> None:
        pointer = self.read_pointer()
        self._pointer_collection().modify(
            metadata={"frontdesk_pointer": 1, "current": version, "previous": pointer.current or ""}
        )

    def _version_of(self, collection_name: str) -> str | None:
        head = f"{self.prefix}-"
        rest = collection_name[len(head) :] if collection_name.startswith(head) else ""
        return rest if rest.startswith("v") else None

    def list_versions(self) -> list[str]:
        names = [
            c if isinstance(c, str) else c.name for c in self._shared_client().list_collections()
        ]
        return sorted(v for v in (self._version_of(n) for n in names) if v)

    def create(self, base: str | None) -> str:
        version = new_version_name()
        if base is not None:
            source = IndexCollection.open(self._shared_client(), self.collection_name(base))
            target = IndexCollection.create(
                self._shared_client(),
                self.collection_name(version),
                source.model_id,
                source.dimension,
            )
            batch = []
            for stored in source.iter_chunks(include_embeddings=True):
                batch.append(stored)
                if len(batch) >= 500:
                    target.upsert([s.chunk for s in batch], [s.embedding or () for s in batch])
                    batch = []
            if batch:
                target.upsert([s.chunk for s in batch], [s.embedding or () for s in batch])
        return version

    def drop(self, version: str) -> None:
        with contextlib.suppress(Exception):
            self._shared_client().delete_collection(self.collection_name(version))

    def connect(self, version: str) -> Any:
        return self._shared_client()

    def collection_name(self, version: str) -> str:
        return f"{self.prefix}-{version}"


def index_versions(data_dir: Path, prefix: str, chroma_url: str = "") -> IndexVersions:
    """The version store the settings describe."""
    if chroma_url:
        return ServerVersions(data_dir, prefix, chroma_url)
    return EmbeddedVersions(data_dir, prefix)
