"""The prompts file as it last parsed cleanly, read again when its bytes change."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from ingest.errors import Finding
from server.prompts.reader import PromptsError, parse_prompts
from server.prompts.schema import Limits, PromptSet

logger = logging.getLogger(__name__)


class LivePrompts:
    """The prompts file as it last parsed cleanly; a broken edit is logged and kept out.

    The file (a few KB) is read on every call and parsed again only when its bytes
    changed: a timestamp can miss two same-size saves within one clock tick. A file that
    is gone, empty or cannot be read (a directory at its path) is a broken edit like any
    other: the last good set keeps serving and `error` says why. With no file from the
    start there are no prompts, and no error; `prompts: []` serves none on purpose.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._state: str | None = None  # the digest of the bytes, or why there are none
        self._current = PromptSet(path, Limits(), (), "empty")
        self._loaded = False  # a set was read from the file
        self.error: PromptsError | None = None
        self._lock = threading.Lock()

    def current(self) -> PromptSet:
        state, raw = self._read()
        if state == self._state:
            return self._current
        with self._lock:
            if state != self._state:
                self._reload(state, raw)
        return self._current

    def _read(self) -> tuple[str, bytes | None]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return "missing", None
        except OSError as exc:
            return f"cannot read the file: {exc.strerror or exc}", None
        if not raw.strip():
            return "empty", None
        return hashlib.sha256(raw).hexdigest(), raw

    def _reload(self, state: str, raw: bytes | None) -> None:
        self._state = state
        if raw is None:
            if state == "missing" and not self._loaded:
                self.error = None  # no prompts configured
                return
            self._broken(PromptsError([Finding(self.path, 1, _WHY.get(state, state))]))
            return
        try:
            self._current, self.error = parse_prompts(self.path), None
            self._loaded = True
            logger.info("prompts: %d from %s", len(self._current.prompts), self.path)
        except PromptsError as exc:
            self._broken(exc)

    def _broken(self, error: PromptsError) -> None:
        self.error = error
        logger.error("%s\nthe previous prompts keep serving", error)


_WHY = {
    "missing": "the file is gone (deleted or moved)",
    "empty": "the file is empty (write `prompts: []` to serve none)",
}
