"""``frontdesk ingest --watch``: re-ingest whenever a knowledge-base file is saved."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)


def _is_article(_change: object, path: str) -> bool:
    return path.endswith(".md")


def watch_knowledge_base(
    kb_dir: Path,
    on_change: Callable[[set[str]], None],
    debounce_ms: int,
    stop: threading.Event | None = None,
) -> None:
    """Call ``on_change`` with the changed paths after each burst of saves, until stopped."""
    from watchfiles import watch

    for changes in watch(
        kb_dir,
        watch_filter=_is_article,
        debounce=debounce_ms,
        step=25,
        stop_event=stop,
        raise_interrupt=False,
    ):
        paths = {path for _, path in changes}
        logger.info("knowledge base changed files=%d", len(paths))
        on_change(paths)
