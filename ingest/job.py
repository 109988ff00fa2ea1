"""One ingest run: knowledge base in, a new published index version out (or nothing).

1. Parse and validate every article; any error stops the run before anything is
   written.
2. Compare article hashes with the current version: added, changed, removed,
   unchanged. Nothing to do means nothing is written at all.
3. Copy the current version, delete the chunks of changed and removed articles,
   embed the new chunks (reusing stored embeddings for text that did not change)
   and write them.
4. Check the new version is complete, calibrate the answer decision on it (a step
   the caller passes in: the server's decision learns from the new version what its
   answerable and unanswerable questions look like), then publish it by moving the
   pointer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.articles import Article, ParseCache, load_knowledge_base
from ingest.chunking import Chunk, ChunkingOptions, article_hash, chunk_article
from ingest.embedding import Embedder
from ingest.errors import Finding, IndexStateError, KnowledgeBaseError, SchemaMismatchError
from ingest.links import LinkResolver
from ingest.store import IndexCollection
from ingest.versions import IndexVersions

logger = logging.getLogger(__name__)

PROGRESS_STEP = 256  # texts per model call; the model batches further inside


class Progress:
    """Told how embedding goes; the CLI shows a bar, tests and ``--json`` stay silent."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...

    def finish(self) -> None: ...


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks: int = 0  # chunks in the index after the run
    embedded: int = 0  # texts sent to the model in this run
    reused: int = 0  # chunks whose stored embedding was reused
    seconds: float = 0.0
    model_seconds: float = 0.0  # time spent inside the embedding model
    version: str | None = None
    published: bool = False
    calibration: str = ""  # what the calibration of a new version found, in words
    calibration_seconds: float = 0.0

    def summary(self) -> str:
        calibrated = (
            f" (calibration {self.calibration_seconds:.1f} s)" if self.calibration_seconds else ""
        )
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {self.chunks} chunks, {self.seconds:.1f} s{calibrated}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def plan_changes(articles: dict[str, str], stored: dict[str, str]) -> Plan:
    """Compare article hashes in the knowledge base with those in the index."""
    return Plan(
        added=sorted(a for a in articles if a not in stored),
        changed=sorted(a for a in articles if a in stored and stored[a] != articles[a]),
        removed=sorted(a for a in stored if a not in articles),
        unchanged=sorted(a for a in articles if stored.get(a) == articles[a]),
    )


# Learns from a complete new version, before it is published, what its answers need: a
# JSON-able result kept with the version, and a sentence saying what was found.
Calibrate = Callable[[IndexCollection], tuple[dict[str, Any], str]]


class IngestJob:
    def __init__(
        self,
        kb_dir: Path,
        versions: IndexVersions,
        embedder: Embedder,
        options: ChunkingOptions,
        progress: Progress | None = None,
        calibrate: Calibrate | None = None,
    ) -> None:
        self.kb_dir = kb_dir
        self.versions = versions
        self.embedder = embedder
        self.options = options
        self.progress = progress or Progress()
        self.calibrate = calibrate
        self._parsed = ParseCache()  # a long-lived job (--watch) re-reads only changed files

    def run(self, *, rebuild: bool = False) -> IngestReport:
        started = time.perf_counter()
        # raises before anything is written
        articles = load_knowledge_base(self.kb_dir, self._parsed)
        resolver = LinkResolver(articles, self.kb_dir)
        hashes = {a.id: article_hash(a, resolver, self.options) for a in articles}
        with self.versions.lock():
            report = self._run_locked(articles, resolver, hashes, rebuild)
        report.seconds = time.perf_counter() - started
        logger.info("ingest finished %s", report.summary())
        return report

    def _stored_hashes(self, current: str | None, rebuild: bool) -> dict[str, str] | None:
        """Article hashes of the current version; None when it was written with an older
        chunk layout (it is then rebuilt whole: its chunks lack what this version reads)."""
        if current is None or rebuild:
            return {}
        try:
            client, index = self.versions.open(current)
        except SchemaMismatchError as exc:
            logger.warning("rebuilding the whole index: %s", exc)
            return None
        try:
            index.require_model(self.embedder.model_id)
            return index.article_hashes()
        finally:
            self.versions.release(client)

    def _run_locked(
        self,
        articles: list[Article],
        resolver: LinkResolver,
        hashes: dict[str, str],
        rebuild: bool,
    ) -> IngestReport:
        self.versions.cleanup()
        current = self.versions.read_pointer().current
        stored = self._stored_hashes(current, rebuild)
        if stored is None:
            rebuild, stored = True, {}
        plan = plan_changes(hashes, stored)
        report = IngestReport(
            added=plan.added,
            changed=plan.changed,
            removed=plan.removed,
            unchanged=len(plan.unchanged),
            version=current,
        )
        if plan.empty and current is not None and not rebuild:
            client, index = self.versions.open(current)
            report.chunks = index.count()
            self.versions.release(client)
            return report

        new_chunks = self._chunks_of(
            [a for a in articles if a.id in set(plan.added + plan.changed)], resolver
        )
        base = None if rebuild else current
        version = self.versions.create(base)
        client = self.versions.connect(version)
        try:
            index = self._open_target(client, version, base is None)
            reusable = index.embeddings_by_hash(c.content_hash for c in new_chunks)
            expected = (
                index.count()
                - index.count_articles_chunks(plan.changed + plan.removed)
                + len(new_chunks)
            )
            index.delete_articles(plan.changed + plan.removed)
            self._write(index, new_chunks, reusable, report)
            self._verify(index, hashes, plan, expected)
            report.chunks = expected
            self._calibrate(index, report)
        except BaseException:
            self.versions.release(client)
            self.versions.drop(version)
            raise
        self.versions.release(client)
        self.versions.publish(version)
        report.version, report.published = version, True
        self.versions.cleanup()
        return report

    def _calibrate(self, index: IndexCollection, report: IngestReport) -> None:
        """The new version's calibration, kept with it; none without a calibration step."""
        if self.calibrate is None:
            index.set_calibration(None)
            return
        started = time.perf_counter()
        calibration, report.calibration = self.calibrate(index)
        index.set_calibration(calibration)
        report.calibration_seconds = time.perf_counter() - started

    def _chunks_of(self, articles: list[Article], resolver: LinkResolver) -> list[Chunk]:
        chunks: list[Chunk] = []
        empty: list[Finding] = []
        for article in articles:
            pieces = chunk_article(article, resolver, self.options)
            if not any(piece.kind == "section" for piece in pieces):
                empty.append(Finding(article.path, article.body_line, "the article has no text"))
            chunks.extend(pieces)
        if empty:
            raise KnowledgeBaseError(empty)
        return chunks

    def _open_target(self, client: Any, version: str, empty: bool) -> IndexCollection:
        name = self.versions.collection_name(version)
        if empty:
            return IndexCollection.create(
                client, name, self.embedder.model_id, self.embedder.dimension
            )
        return IndexCollection.open(client, name, self.embedder.model_id)

    def _write(
        self,
        index: IndexCollection,
        chunks: Sequence[Chunk],
        reusable: dict[str, tuple[float, ...]],
        report: IngestReport,
    ) -> None:
        to_embed = [c for c in chunks if c.content_hash not in reusable]
        done = [c for c in chunks if c.content_hash in reusable]
        if done:
            index.upsert(done, [reusable[c.content_hash] for c in done])
        report.reused = len(done)
        self.progress.start(len(to_embed))
        for start in range(0, len(to_embed), PROGRESS_STEP):
            part = to_embed[start : start + PROGRESS_STEP]
            model_started = time.perf_counter()
            vectors = self.embedder.embed([c.embedding_text for c in part])
            report.model_seconds += time.perf_counter() - model_started
            index.upsert(part, vectors)
            report.embedded += len(part)
            self.progress.advance(len(part))
        self.progress.finish()

    @staticmethod
    def _verify(index: IndexCollection, hashes: dict[str, str], plan: Plan, expected: int) -> None:
        """The new version holds exactly the knowledge base: counts and the new articles' hashes."""
        written = plan.added + plan.changed
        stored = index.article_hashes(written)
        wrong = sorted(a for a in written if stored.get(a) != hashes[a])
        gone = index.article_hashes(plan.removed)
        count = index.count()
        if wrong or gone or count != expected:
            raise IndexStateError(
                f"the new index version is incomplete ({count} chunks, expected {expected}; "
                f"articles not written: {wrong[:5]}; not removed: {sorted(gone)[:5]}); "
                "it was not published"
            )
