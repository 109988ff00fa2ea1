"""The prompts file as it last parsed cleanly, read again when its bytes change."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from server.prompts.reader import PromptsError, parse_prompts
from server.prompts.schema import Limits, PromptSet

logger = logging.getLogger(__name__)


class LivePrompts:
    """The prompts file as it last parsed cleanly; a broken edit is logged and kept out.

    The file (a few KB) is read on every call and parsed again only when its bytes
    changed: a timestamp can miss two same-size saves within one clock tick.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest: str | None = None
        self._current = PromptSet(path, Limits(), (), "empty")
        self.error: PromptsError | None = None
        self._lock = threading.Lock()

    def current(self) -> PromptSet:
        try:
            digest: str | None = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except FileNotFoundError:
            digest = None
        if digest == self._digest:
            return self._current
        with self._lock:
            if digest != self._digest:
                self._reload(digest)
        return self._current

    def _reload(self, digest: str | None) -> None:
        self._digest = digest
        if digest is None:
            self._current, self.error = PromptSet(self.path, Limits(), (), "empty"), None
            return
        try:
            self._current, self.error = parse_prompts(self.path), None
            logger.info("prompts: %d from %s", len(self._current.prompts), self.path)
        except PromptsError as exc:
            self.error = exc
            logger.error("%s\nthe previous prompts keep serving", exc)
