"""The live index: what a reading process (the server, a benchmark) has open.

It checks the pointer cheaply — a ``stat`` of the pointer file in embedded mode,
at most once a second against a Chroma server — and when the pointer has moved
it opens the new version and lets go of the old one. Listeners are told about
every switch (the server rebuilds its lexical index from the new version).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ingest.store import IndexCollection
from ingest.versions import EmbeddedVersions, IndexVersions

logger = logging.getLogger(__name__)

Listener = Callable[[IndexCollection, str], object]  # the return value is ignored


class LiveIndex:
    def __init__(
        self, versions: IndexVersions, model_id: str | None, min_check_interval: float | None = None
    ) -> None:
        self._versions = versions
        self._model_id = model_id
        if min_check_interval is None:
            min_check_interval = 0.0 if isinstance(versions, EmbeddedVersions) else 1.0
        self._interval = min_check_interval
        self._lock = threading.RLock()
        self._token: object = object()
        self._checked_at = float("-inf")
        self._version: str | None = None
        self._client: Any = None
        self._retired_client: Any = None  # kept open one switch longer for in-flight reads
        self._collection: IndexCollection | None = None
        self._listeners: list[Listener] = []

    @property
    def version(self) -> str | None:
        return self._version

    def on_switch(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def known_current(self) -> bool:
        """True when the open version is known to be the published one without waiting on
        a server: checked within the interval, or the local pointer file has not moved."""
        if self._collection is None:
            return False
        if time.monotonic() - self._checked_at < self._interval:
            return True
        return self._versions.local_pointer and self._versions.change_token() == self._token

    def collection(self) -> IndexCollection | None:
        """The current version's collection (None before the first ingest)."""
        self.refresh()
        return self._collection

    def refresh(self, force: bool = False) -> bool:
        """Open the published version if the pointer moved. True when it switched."""
        now = time.monotonic()
        if not force and now - self._checked_at < self._interval:
            return False
        with self._lock:
            self._checked_at = now
            token = self._versions.change_token()
            if token == self._token and not force:
                return False
            pointer = self._versions.read_pointer()
            if pointer.current is None or pointer.current == self._version:
                self._token = token
                return False
            # an open that fails (a read-only or full data dir) leaves the token, so the next
            # refresh tries again instead of taking the pointer as seen
            client, collection = self._versions.open(pointer.current, self._model_id)
            self._token = token
            to_release = self._retired_client
            if self._client is not client:
                self._retired_client = self._client
            self._client, self._collection, self._version = client, collection, pointer.current
            logger.info(
                "index version opened version=%s chunks=%d", pointer.current, collection.count()
            )
        for listener in self._listeners:
            listener(collection, pointer.current)
        if to_release is not None and to_release is not client:
            self._versions.release(to_release)
        return True

    def close(self) -> None:
        with self._lock:
            for client in {id(c): c for c in (self._client, self._retired_client) if c}.values():
                self._versions.release(client)
            self._client = self._retired_client = self._collection = self._version = None
