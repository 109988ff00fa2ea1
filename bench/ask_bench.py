"""`/ask` benchmark against a real `frontdesk serve` process (one process, this machine).

For the sample knowledge base and a generated 1,000-article one, it measures:
  * latency p50/p95/p99 at concurrency 1 with questions the server has not seen
    (no embedding cache hits), driven by wrk (apt package `wrk`) with bench/ask.lua;
  * throughput at concurrency 8 and 32 (every reply must be a 200), with new questions;
and, in the same run, the floor: the bare model embedding one question, batched
question embedding, and a bare Chroma query, so the figures can be read as ratios.
Each knowledge base is measured three times: with the question model on ONNX
Runtime (the default), on PyTorch (`FRONTDESK_QUERY_MODEL_RUNTIME=torch`), and
int8 on PyTorch (`FRONTDESK_QUERY_MODEL_INT8=true`); each with its own floor.

Usage: .venv/bin/python bench/ask_bench.py [--seconds 20] [--articles 1000]
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
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.ingest_bench import ADJECTIVES, NOUNS, VERBS, generate_kb  # noqa: E402
from bench.serving import BIN, run_wrk, serve  # noqa: E402
from ingest.articles import load_knowledge_base  # noqa: E402
from ingest.embedding import Runtime, SentenceTransformerEmbedder  # noqa: E402
from ingest.live import LiveIndex  # noqa: E402
from ingest.versions import EmbeddedVersions  # noqa: E402


def questions_for(kb: Path, count: int, seed: int) -> list[str]:
    """Distinct, realistic questions: the KB's own, varied so none repeats."""
    rng = random.Random(seed)
    seeds = [q for a in load_knowledge_base(kb) for q in a.meta.questions]
    seeds += [
        f"how do I {rng.choice(VERBS)} the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        for _ in range(200)
    ]
    asked: set[str] = set()
    while len(asked) < count:
        base = rng.choice(seeds)
        extra = rng.choice(
            [
                "",
                " please",
                " in tasklane",
                " on my account",
                " again",
                " now",
                " for my team",
                " today",
                " quickly",
                " from the app",
            ]
        )
        asked.add(f"{base.rstrip('?')}{extra} #{len(asked)}?")
    return sorted(asked)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_load(url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """wrk (C, two threads) posting questions nobody asked before (bench/ask.lua)."""
    stats = run_wrk(url, ROOT / "bench/ask.lua", concurrency, seconds)
    return {
        "concurrency": concurrency,
        "requests": stats["requests"],
        "errors": stats["non_2xx"] + stats["socket_errors"],
        "throughput_per_second": round(stats["requests"] / (stats["duration_us"] / 1e6), 1),
        "p50_ms": round(stats["p50_us"] / 1000, 2),
        "p95_ms": round(stats["p95_us"] / 1000, 2),
        "p99_ms": round(stats["p99_us"] / 1000, 2),
    }


# how the question model runs: (result key suffix, label, server settings)
FLAVOURS: list[tuple[str, str, dict[str, str]]] = [
    ("", "float32 on ONNX Runtime (default)", {}),
    ("_torch", "float32 on PyTorch", {"FRONTDESK_QUERY_MODEL_RUNTIME": "torch"}),
    ("_int8", "int8 on PyTorch", {"FRONTDESK_QUERY_MODEL_INT8": "true"}),
]


def floor_figures(data: Path, questions: list[str], settings: dict[str, str]) -> dict[str, float]:
    """The bare model, run as ``settings`` say, and a bare Chroma query, in this process."""
    embedder = SentenceTransformerEmbedder(
        "all-MiniLM-L6-v2",
        int8=settings.get("FRONTDESK_QUERY_MODEL_INT8") == "true",
        runtime=cast(Runtime, settings.get("FRONTDESK_QUERY_MODEL_RUNTIME", "onnxruntime")),
    )
    embedder.embed(["warm up"])
    singles = []
    for question in questions[:200]:
        started = time.perf_counter()
        embedder.embed([question])
        singles.append(time.perf_counter() - started)
    started = time.perf_counter()
    vectors = []
    for start in range(0, 1024, 64):
        vectors += embedder.embed(questions[200 + start : 264 + start])
    batched = len(vectors) / (time.perf_counter() - started)
    live = LiveIndex(EmbeddedVersions(data, "frontdesk"), embedder.model_id)
    collection = live.collection()
    assert collection is not None
    queries = []
    for vector in vectors[:300]:
        started = time.perf_counter()
        collection.nearest_ids(vector, 100)
        queries.append(time.perf_counter() - started)
    chunks = collection.count()
    live.close()
    return {
        "model_one_question_ms": round(1000 * statistics.median(singles), 2),
        "model_batched_questions_per_second": round(batched, 1),
        "chroma_query_ms": round(1000 * statistics.median(queries), 2),
        "chunks": chunks,
    }


def bench_kb(name: str, kb: Path, data: Path, seconds: float, port: int) -> dict[str, Any]:
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(data), "FRONTDESK_KB_DIR": str(kb)}
    subprocess.run(
        [str(BIN / "frontdesk"), "ingest"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    questions = questions_for(kb, 3_000, seed=len(name))
    result: dict[str, Any] = {"knowledge_base": name}
    for flavour, _, settings in FLAVOURS:
        floor = floor_figures(data, questions[-1300:], settings)
        # one wrk client is one address: without a visitor id it would be one rate-limited
        # visitor
        process = serve(
            port,
            FRONTDESK_DATA_DIR=str(data),
            FRONTDESK_KB_DIR=str(kb),
            FRONTDESK_RATE_LIMITS_PER_VISITOR="{}",
            FRONTDESK_RATE_LIMITS_PER_ADDRESS="{}",
            FRONTDESK_RATE_LIMITS_PER_SITE="{}",
            **settings,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            run_load(url, 1, 3)  # warm up
            runs = [run_load(url, c, seconds) for c in (1, 8, 32)]
        finally:
            process.terminate()
            process.wait(timeout=30)
        result[f"floor{flavour}"] = floor
        result[f"load{flavour}"] = runs
        result[f"ratios{flavour}"] = {
            "p50_over_model_one_question": round(
                runs[0]["p50_ms"] / floor["model_one_question_ms"], 2
            ),
            "c32_throughput_over_batched_model": round(
                runs[2]["throughput_per_second"] / floor["model_batched_questions_per_second"], 3
            ),
        }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--only",
        choices=["sample", "generated"],
        default=None,
        help="Run one of the two knowledge bases only.",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/ask.json")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="frontdesk-ask-bench-") as tmp:
        if args.only != "generated":
            results.append(
                bench_kb(
                    "sample", ROOT / "kb_articles", Path(tmp) / "sample", args.seconds, args.port
                )
            )
        if args.only != "sample":
            generated = Path(tmp) / "generated-kb"
            generate_kb(generated, args.articles)
            results.append(
                bench_kb(
                    f"generated-{args.articles}",
                    generated,
                    Path(tmp) / "generated",
                    args.seconds,
                    args.port,
                )
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    for result in results:
        for flavour, label, _ in FLAVOURS:
            print(f"\n{result['knowledge_base']}, {label}: floor {result['floor' + flavour]}")
            for run in result["load" + flavour]:
                print(
                    f"  concurrency {run['concurrency']:>2}: {run['throughput_per_second']:>7} "
                    f"req/s  p50 {run['p50_ms']} ms  p95 {run['p95_ms']} ms  "
                    f"p99 {run['p99_ms']} ms  errors {run['errors']}/{run['requests']}"
                )
            print(f"  ratios {result['ratios' + flavour]}")


if __name__ == "__main__":
    main()
