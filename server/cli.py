"""The ``frontdesk`` command: ingest, check and serve."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from ingest.articles import parse_knowledge_base
from ingest.checks import check_knowledge_base, count_by_severity, has_errors
from ingest.chunking import ChunkingOptions
from ingest.embedding import Embedder, SentenceTransformerEmbedder
from ingest.errors import Finding, IndexStateError, KnowledgeBaseError
from ingest.job import IngestJob, IngestReport, Progress
from ingest.versions import index_versions
from ingest.watch import watch_knowledge_base
from server.ask.calibration import Calibration, calibration_step
from server.ask.eval_sets import QuestionSet
from server.ask.evaluation import Report
from server.ask.retrieval import Retriever
from server.prompts.reader import check_prompts
from server.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    help="Frontdesk: a self-hosted self-service help widget.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

KbOption = Annotated[
    Path | None, typer.Option("--kb", help="Knowledge-base folder (default: FRONTDESK_KB_DIR).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

EXIT_KB_ERRORS = 1
EXIT_INDEX_ERROR = 2


def _settings(**overrides: Any) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_INDEX_ERROR) from None
    logging.basicConfig(
        level=settings.log_level if settings.log_level != "INFO" else "WARNING",
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    return settings


class BarProgress(Progress):
    """A progress bar on the terminal (stderr), for embedding."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            "embedding",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: Any = None

    def start(self, total: int) -> None:
        if total:
            self._bar.start()
            self._task = self._bar.add_task("embedding", total=total)

    def advance(self, count: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, count)

    def finish(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._task = None


def build_job(settings: Settings, embedder: Embedder, progress: Progress | None) -> IngestJob:
    """An ingest of the settings' KB that calibrates the answer decision on each new version."""
    retriever = Retriever(settings.default_locale, settings.page_boost)
    return IngestJob(
        kb_dir=settings.kb_dir,
        versions=index_versions(settings.data_dir, settings.collection, settings.chroma_url),
        embedder=embedder,
        options=ChunkingOptions(settings.chunk_max_words, settings.chunk_overlap_words),
        progress=progress,
        calibrate=calibration_step(embedder, retriever, settings.answer_threshold),
    )


def _run_once(job: IngestJob, rebuild: bool, as_json: bool) -> int:
    """One ingest; prints the outcome; returns the exit code."""
    try:
        report = job.run(rebuild=rebuild)
    except KnowledgeBaseError as exc:
        _print_failure(
            as_json,
            [str(f) for f in exc.findings],
            "nothing was written; the previous index keeps serving",
        )
        return EXIT_KB_ERRORS
    except IndexStateError as exc:
        _print_failure(as_json, [str(exc)], "nothing was written")
        return EXIT_INDEX_ERROR
    _print_report(job, report, as_json)
    return 0


def _print_failure(as_json: bool, errors: list[str], consequence: str) -> None:
    if as_json:
        typer.echo(json.dumps({"ok": False, "errors": errors}))
    else:
        for error in errors:
            typer.echo(error, err=True)
        typer.echo(f"ingest failed: {len(errors)} error(s); {consequence}", err=True)


def _print_report(job: IngestJob, report: IngestReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"ok": True, **report.as_dict()}))
    else:
        typer.echo(f"ingested {job.kb_dir}: {report.summary()}")
        if report.calibration:
            typer.echo(report.calibration)


@app.command()
def ingest(
    kb: KbOption = None,
    rebuild: Annotated[bool, typer.Option(help="Re-embed everything from scratch.")] = False,
    watch: Annotated[bool, typer.Option(help="Re-ingest on every save (debounced).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Index the knowledge base: validate, chunk, embed, and publish a new index version."""
    settings = _settings(kb_dir=kb)
    progress = BarProgress() if sys.stderr.isatty() and not as_json else None
    embedder = SentenceTransformerEmbedder(settings.embedding_model, settings.embed_batch_size)
    job = build_job(settings, embedder, progress)
    code = _run_once(job, rebuild, as_json)
    if not watch:
        raise typer.Exit(code)
    threading.Thread(target=embedder.load, name="model-warm-up", daemon=True).start()
    if not as_json:
        typer.echo(f"watching {settings.kb_dir} for changes (Ctrl-C to stop)", err=True)

    def on_change(paths: set[str]) -> None:
        _run_once(job, False, as_json)

    watch_knowledge_base(settings.kb_dir, on_change, settings.watch_debounce_ms)


@app.command()
def check(
    kb: KbOption = None,
    prompts: Annotated[
        Path | None,
        typer.Option(
            help="Prompts file to check too [default: FRONTDESK_PROMPTS_FILE, if it exists]."
        ),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Validate the knowledge base, the prompts file and the routes file without writing
    anything."""
    settings = _settings(kb_dir=kb)
    findings = check_knowledge_base(settings.kb_dir)
    prompts_file = prompts or settings.prompts_file
    if prompts is not None or prompts_file.exists():
        articles, _ = parse_knowledge_base(settings.kb_dir)
        findings = sorted(findings + check_prompts(prompts_file, (a.id for a in articles)))
    findings = sorted(findings + _routes_findings(settings))
    failed = has_errors(findings) or (strict and bool(findings))
    counts = count_by_severity(findings)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": not failed,
                    "calibration": _current_calibration(settings),
                    "findings": [
                        {
                            "path": str(f.path),
                            "line": f.line,
                            "severity": f.severity,
                            "message": f.message,
                        }
                        for f in findings
                    ],
                }
            )
        )
    else:
        for finding in findings:
            typer.echo(str(finding), err=finding.severity == "error")
        verdict = "failed" if failed else "passed"
        typer.echo(
            f"check {verdict}: {counts.get('error', 0)} error(s), "
            f"{counts.get('warning', 0)} warning(s) in {settings.kb_dir}"
            + (f" and {prompts_file}" if prompts is not None or prompts_file.exists() else "")
        )
        typer.echo(_current_calibration(settings))
    raise typer.Exit(EXIT_KB_ERRORS if failed else 0)


def _current_calibration(settings: Settings) -> str:
    """What the published index's calibration found, in words."""
    versions = index_versions(settings.data_dir, settings.collection, settings.chroma_url)
    try:
        current = versions.read_pointer().current
        if current is None:
            return "no index yet: `frontdesk ingest` calibrates the answer decision on it"
        client, index = versions.open(current)
        calibration = index.calibration
        versions.release(client)
    except (IndexStateError, OSError, ValueError) as exc:
        return f"the current index cannot be read: {exc}"
    finally:
        versions.close()
    if calibration is None:
        return "the current index has no calibration: `frontdesk ingest --rebuild` adds one"
    return "current index: " + Calibration.from_json(calibration).report()


@app.command("eval")
def evaluate_questions(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Questions files (JSON lines), or folders of sets (a `kb/` folder and "
            "`*.jsonl` files beside it)."
        ),
    ],
    kb: KbOption = None,
    current: Annotated[
        bool,
        typer.Option(
            "--current",
            help="Use the current index instead of ingesting the KB into a temp dir "
            "(one set, about FRONTDESK_KB_DIR).",
        ),
    ] = False,
    leave_one_out: Annotated[
        bool,
        typer.Option(
            "--leave-one-out",
            help="Also measure each set at the answer threshold chosen on the other sets.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Measure retrieval, the answer decision and the cited section on question sets, beside
    a plain reference method; run each KB's self-tests."""
    from server.ask.eval_sets import (
        find_sets,
        format_leave_one_out,
        format_report,
    )
    from server.ask.eval_sets import (
        leave_one_out as leave_out,
    )
    from server.ask.evaluation import QuestionsFileError

    settings = _settings(kb_dir=kb)
    try:
        sets = find_sets(paths, settings.kb_dir)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_INDEX_ERROR) from None
    if current and len(sets) != 1:
        typer.echo("error: --current measures one set, on the current index", err=True)
        raise typer.Exit(EXIT_INDEX_ERROR)
    embedder = SentenceTransformerEmbedder(settings.embedding_model, settings.embed_batch_size)
    reports: list[Report] = []
    for question_set in sets:
        try:
            reports.append(_evaluate_set(settings, embedder, question_set, current))
        except (OSError, QuestionsFileError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_INDEX_ERROR) from None
        if not as_json:
            typer.echo(format_report(reports[-1], settings.answer_threshold) + "\n")
    held_out = leave_out(reports) if leave_one_out else []
    if as_json:
        body: dict[str, Any] = {"sets": [r.as_dict() for r in reports]}
        typer.echo(json.dumps(body | ({"leave_one_out": held_out} if leave_one_out else {})))
    elif held_out:
        typer.echo(format_leave_one_out(held_out))
    raise typer.Exit(EXIT_KB_ERRORS if any(r.self_test_failures for r in reports) else 0)


def _evaluate_set(
    settings: Settings, embedder: Embedder, question_set: QuestionSet, current: bool
) -> Report:
    """One set: its KB ingested into a scratch index (or the current one), then measured."""
    import tempfile

    from server.ask.assembly import build_answerer
    from server.ask.evaluation import evaluate, read_questions

    items = read_questions(question_set.questions)
    with tempfile.TemporaryDirectory(prefix="frontdesk-eval-") as scratch:
        if not current:
            settings = settings.model_copy(
                update={"data_dir": Path(scratch), "chroma_url": "", "kb_dir": question_set.kb}
            )
            progress = BarProgress() if sys.stderr.isatty() else None
            job = build_job(settings, embedder, progress)
            try:
                ingested = job.run()
            except (KnowledgeBaseError, IndexStateError) as exc:
                typer.echo(str(exc), err=True)
                raise typer.Exit(EXIT_KB_ERRORS) from None
            typer.echo(
                f"ingested {settings.kb_dir} into a scratch index: {ingested.summary()}", err=True
            )
        # questions are embedded as the server embeds them (runtime, int8), in-process:
        # by the very model ingest loaded when that is how
        questions_model: Embedder = embedder
        if settings.query_model_int8 or settings.query_model_runtime != "torch":
            questions_model = SentenceTransformerEmbedder(
                settings.embedding_model,
                int8=settings.query_model_int8,
                runtime=settings.query_model_runtime,
            )
        answerer = build_answerer(settings, questions_model)
        try:
            return evaluate(answerer, items, question_set.name)
        finally:
            answerer.live.close()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address (default: FRONTDESK_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: FRONTDESK_PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Server processes on the one port (default: FRONTDESK_WORKERS)."),
    ] = None,
) -> None:
    """Serve the API, the widget (/widget.js), the dashboard (/admin) and the demo (/demo/)."""
    import uvicorn

    from server.platform.logs import configure_logging

    settings = _settings(host=host, port=port, workers=workers)
    _check_routes(settings)
    configure_logging(settings.log_level, settings.log_format)
    if settings.workers > 1:
        _share_metrics_between_workers(settings.data_dir)
    uvicorn.run(
        "server.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,  # configure_logging's handler, in every worker too
        log_level=settings.log_level.lower(),
        access_log=False,  # server.platform.logs writes the access lines, with request ids
        proxy_headers=False,  # only FRONTDESK_TRUSTED_PROXIES decides (server.platform.admission)
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )


def _routes_findings(settings: Settings) -> list[Finding]:
    """The routes file's problems (none without a file, unless one was named)."""
    from server.handoff.destinations import destination_names
    from server.handoff.routing import RoutesError, read_routing

    explicit = "routes_file" in settings.model_fields_set
    try:
        read_routing(settings.routes_file, destination_names(settings), explicit)
    except RoutesError as exc:
        return exc.findings
    return []


def _check_routes(settings: Settings) -> None:
    """Stop before serving when the routes file has errors, naming each line."""
    findings = _routes_findings(settings)
    if findings:
        lines = "\n".join(str(f) for f in findings)
        typer.echo(f"error: {len(findings)} error(s) in the routes file:\n{lines}", err=True)
        raise typer.Exit(EXIT_INDEX_ERROR)


def _share_metrics_between_workers(data_dir: Path) -> None:
    """Each worker writes its Prometheus counters here; a scrape of any worker sums them."""
    import os
    import shutil

    folder = data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


admin_app = typer.Typer(help="Dashboard users and statistics.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="The user's email, their login.")],
    role: Annotated[str, typer.Option(help="admin (everything) or viewer (read only).")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a dashboard user; the password is asked for (or read with --password-stdin)."""
    from server.admin.users import UserError, UserStore
    from server.platform.database import create_database_engine, migrate

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = create_database_engine(settings)
    migrate(engine)
    try:
        user = UserStore(engine).create(email, password, role)  # type: ignore[arg-type]
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_KB_ERRORS) from None
    finally:
        engine.dispose()
    typer.echo(f"created {user.role} {user.email}")


@admin_app.command("rebuild")
def rebuild_statistics() -> None:
    """Compute the deflection log and every dashboard statistic again from the events."""
    import time

    from server.insights.job import build_statistics_job
    from server.platform.database import create_database_engine, migrate

    settings = _settings()
    engine = create_database_engine(settings)
    migrate(engine)
    embedder = SentenceTransformerEmbedder(settings.embedding_model)
    started = time.perf_counter()
    try:
        counts = build_statistics_job(settings, engine, embedder.embed).rebuild()
    finally:
        engine.dispose()
    figures = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
    typer.echo(f"rebuilt in {time.perf_counter() - started:.1f} s: {figures}")


helpdesk_app = typer.Typer(help="The helpdesk's tickets, for the queue.", no_args_is_help=True)
app.add_typer(helpdesk_app, name="helpdesk")


@helpdesk_app.command("import")
def import_helpdesk_tickets(
    csv_file: Annotated[Path, typer.Argument(help="A CSV export: one row per ticket.")],
    source: Annotated[
        str, typer.Option(help="The source the tickets belong to (as its events name it).")
    ] = "zendesk",
) -> None:
    """Backfill the queue from a helpdesk's CSV export; importing again stores nothing twice."""
    import re

    from server.helpdesk.backfill import BackfillError, backfill
    from server.helpdesk.store import HelpdeskStore
    from server.platform.database import create_database_engine, migrate

    settings = _settings()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", source):
        typer.echo(f"error: --source {source!r}: use letters a-z, digits, '-' or '_'", err=True)
        raise typer.Exit(EXIT_KB_ERRORS)
    engine = create_database_engine(settings)
    migrate(engine)
    store = HelpdeskStore.from_settings(engine, settings)
    try:
        with csv_file.open(encoding="utf-8-sig", newline="") as text:
            counts = backfill(store, source, text)
    except (BackfillError, OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: {csv_file}: {exc}", err=True)
        raise typer.Exit(EXIT_KB_ERRORS) from None
    finally:
        engine.dispose()
    typer.echo(
        f"{counts['tickets']} tickets: {counts['stored']} events stored, "
        f"{counts['duplicates']} already there"
    )


def main() -> None:
    app()
