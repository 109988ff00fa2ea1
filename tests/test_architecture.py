"""The layout shows the architecture: the server may use ingest, never the other way."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_ingest_never_imports_the_server() -> None:
    for path in (ROOT / "ingest").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) server\b", source, re.MULTILINE), path
