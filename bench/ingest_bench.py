"""Ingest benchmark on a generated 1,000-article knowledge base (about 5,000 chunks).

Measures, on this machine:
  * the bare model: passages of ~90 words per second (the floor for any ingest);
  * a full ingest: seconds, chunks/s, and the share of the time spent inside the model;
  * an unchanged re-ingest: wall time of `frontdesk ingest` as a docs writer runs it;
  * under `frontdesk ingest --watch`: seconds from saving one changed article until a
    reading process (like the server) finds the new text in the index.

Usage: .venv/bin/python bench/ingest_bench.py [--articles 1000] [--repeat 5] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from ingest.chunking import ChunkingOptions  # noqa: E402
from ingest.embedding import SentenceTransformerEmbedder  # noqa: E402
from ingest.job import IngestJob  # noqa: E402
from ingest.live import LiveIndex  # noqa: E402
from ingest.versions import EmbeddedVersions  # noqa: E402

BIN = Path(sys.executable).parent
WATCH_WARM_UP_SECONDS = 12.0
AREAS = ["billing", "account", "projects", "time", "invoices", "integrations", "data", "mobile"]
NOUNS = (
    "invoice card plan seat workspace project board task timer timesheet report export import "
    "token webhook integration calendar member role password session backup client payment "
    "receipt refund discount template notification filter label comment file"
).split()
VERBS = (
    "open choose select enter confirm download upload connect disconnect invite remove archive "
    "restore rename schedule export import review approve cancel update"
).split()
ADJECTIVES = (
    "new current previous monthly annual shared private default custom failed pending active "
    "archived recurring billable"
).split()


def sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(VERBS).capitalize()} the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} "
        f"from the {rng.choice(NOUNS)} page, then {rng.choice(VERBS)} each "
        f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} before you {rng.choice(VERBS)} the "
        f"{rng.choice(NOUNS)}."
    )


def paragraph(rng: random.Random, words: int = 90) -> str:
    text: list[str] = []
    while sum(len(s.split()) for s in text) < words:
        text.append(sentence(rng))
    return " ".join(text)


def generate_kb(folder: Path, articles: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for number in range(articles):
        area = AREAS[number % len(AREAS)]
        topic = f"{rng.choice(VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}s"
        sections = "\n".join(
            f"## {rng.choice(VERBS).capitalize()} the {rng.choice(NOUNS)} {part}\n\n"
            f"{paragraph(rng)}\n"
            for part in range(1, 6)
        )
        path = folder / area / f"article-{number:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\nid: bench-{number:04d}\ntitle: How to {topic} ({number})\n"
            f"url: /help/{area}/article-{number:04d}\npages: [/{area}*]\ntags: [{area}]\n---\n"
            f"{sections}",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def bare_model_rate(embedder: SentenceTransformerEmbedder, rng: random.Random) -> float:
    """Passages of ~90 words per second straight through the model: median of 3 rounds."""
    embedder.embed([paragraph(rng) for _ in range(8)])
    rates = []
    for _ in range(3):
        passages = [paragraph(rng) for _ in range(90)]
        started = time.perf_counter()
        embedder.embed(passages)
        rates.append(len(passages) / (time.perf_counter() - started))
    return statistics.median(rates)


def time_cli_reingest(kb: Path, data: Path, repeat: int) -> list[float]:
    env = {**os.environ, "FRONTDESK_KB_DIR": str(kb), "FRONTDESK_DATA_DIR": str(data)}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        out = subprocess.run(
            [str(BIN / "frontdesk"), "ingest", "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        times.append(time.perf_counter() - started)
        report = json.loads(out)
        assert report["embedded"] == 0 and not report["published"], report
    return times


def time_watch(kb: Path, data: Path, paths: list[Path], model_id: str, repeat: int) -> list[float]:
    env = {**os.environ, "FRONTDESK_KB_DIR": str(kb), "FRONTDESK_DATA_DIR": str(data)}
    process = subprocess.Popen(
        [str(BIN / "frontdesk"), "ingest", "--watch", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    json.loads(process.stdout.readline())  # the initial run: nothing to do
    # --watch loads the model in the background after its first run; a docs writer's
    # first save comes later than that. (A save during the warm-up waits for it.)
    time.sleep(WATCH_WARM_UP_SECONDS)
    live = LiveIndex(EmbeddedVersions(data, "frontdesk"), model_id)
    live.collection()
    times = []
    try:
        for attempt in range(repeat):
            path = paths[(attempt * 97) % len(paths)]
            article_id = f"bench-{int(path.stem.split('-')[1]):04d}"
            token = f"zebracode{attempt}x{int(time.time())}"
            text = path.read_text(encoding="utf-8") + f"\n## Release note\n\nNew: {token}.\n"
            started = time.perf_counter()
            path.write_text(text, encoding="utf-8")
            while True:
                index = live.collection()
                if index is not None and any(
                    token in s.chunk.text
                    for s in index.iter_chunks(where={"article_id": article_id})
                ):
                    break
                if time.perf_counter() - started > 60:
                    raise TimeoutError("the change never became searchable")
                time.sleep(0.01)
            times.append(time.perf_counter() - started)
            json.loads(process.stdout.readline())
            time.sleep(0.5)
    finally:
        live.close()
        process.terminate()
        process.wait(timeout=30)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/ingest.json")
    args = parser.parse_args()

    results: dict[str, object] = {"articles": args.articles, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp:
        kb, data = Path(tmp) / "kb", Path(tmp) / "data"
        paths = generate_kb(kb, args.articles)

        started = time.perf_counter()
        embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
        embedder.embed(["warm up"])
        results["model_load_seconds"] = round(time.perf_counter() - started, 2)
        results["bare_model_passages_per_second"] = round(
            bare_model_rate(embedder, random.Random(1)), 1
        )

        versions = EmbeddedVersions(data, "frontdesk")
        job = IngestJob(kb, versions, embedder, ChunkingOptions())
        report = job.run()
        results["full_ingest"] = {
            "seconds": round(report.seconds, 2),
            "chunks": report.chunks,
            "chunks_per_second": round(report.chunks / report.seconds, 1),
            "model_seconds": round(report.model_seconds, 2),
            "share_inside_model": round(report.model_seconds / report.seconds, 3),
        }
        print(f"full ingest: {results['full_ingest']}", flush=True)

        inproc = []
        for _ in range(args.repeat):
            inproc.append(job.run().seconds)
        cli = time_cli_reingest(kb, data, args.repeat)
        results["unchanged_reingest"] = {
            "cli_wall_seconds_median": round(statistics.median(cli), 2),
            "cli_wall_seconds": [round(t, 2) for t in cli],
            "job_seconds_median": round(statistics.median(inproc), 2),
        }
        print(f"unchanged re-ingest: {results['unchanged_reingest']}", flush=True)

        watch = time_watch(kb, data, paths, embedder.model_id, args.repeat)
        results["watch_save_to_searchable"] = {
            "seconds_median": round(statistics.median(watch), 2),
            "seconds": [round(t, 2) for t in watch],
        }
        print(f"watch, save to searchable: {results['watch_save_to_searchable']}", flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
