"""Errors of the ingestion job, each pointing at the file and line that caused it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in the knowledge base, printed as ``path:line: message``."""

    path: Path
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class KnowledgeBaseError(Exception):
    """The knowledge base has errors; nothing was written."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = sorted(f for f in findings if f.severity == "error")
        count = len(self.findings)
        lines = "\n".join(str(f) for f in self.findings)
        super().__init__(
            f"{count} error{'s' if count != 1 else ''} in the knowledge base:\n{lines}"
        )


class IndexStateError(Exception):
    """Base class for problems with the index itself (not with the articles)."""


class ModelMismatchError(IndexStateError):
    """The index was built with another embedding model than the one configured."""

    def __init__(self, built_with: str, configured: str) -> None:
        self.built_with = built_with
        self.configured = configured
        super().__init__(
            f"the index was built with the embedding model {built_with!r} but "
            f"FRONTDESK_EMBEDDING_MODEL is {configured!r}; re-ingest with "
            "`frontdesk ingest --rebuild` to rebuild it with the configured model"
        )


class SchemaMismatchError(IndexStateError):
    """The index was written by a version of Frontdesk that lays chunks out differently."""

    def __init__(self, collection: str, found: object, expected: int) -> None:
        self.found = found
        super().__init__(
            f"collection {collection!r} has index schema {found!r}, this version of "
            f"Frontdesk reads schema {expected}; re-ingest with `frontdesk ingest --rebuild`"
        )


class IngestLockedError(IndexStateError):
    """Another ingest holds the lock on the index."""
