"""`/ask` benchmark against a real `frontdesk serve` process (one process, this machine).

For the sample knowledge base and a generated 1,000-article one, it measures:
  * latency p50/p95/p99 at concurrency 1 with questions the server has not seen
    (no embedding cache hits);
  * throughput at concurrency 8 and 32 (every reply must be a 200), with new questions;
and, in the same run, the floor: the bare model embedding one question, batched
question embedding, and a bare Chroma query, so the figures can be read as ratios.

Usage: .venv/bin/python bench/ask_bench.py [--seconds 20] [--articles 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.ingest_bench import ADJECTIVES, NOUNS, VERBS, generate_kb  # noqa: E402
from ingest.articles import load_knowledge_base  # noqa: E402
from ingest.embedding import SentenceTransformerEmbedder  # noqa: E402
from ingest.live import LiveIndex  # noqa: E402
from ingest.versions import EmbeddedVersions  # noqa: E402

BIN = Path(sys.executable).parent
PAGES = [
    "/settings/billing",
    "/settings/security/2fa",
    "/projects/12/board",
    "/import",
    "/time/timesheets",
    "/invoices/new",
    "/dashboard",
]


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


async def run_load(
    url: str, questions: list[str], concurrency: int, seconds: float
) -> dict[str, Any]:
    feed = iter(questions)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker(number: int) -> None:
            nonlocal errors
            pages = itertools.cycle(PAGES[number % len(PAGES) :] + PAGES[: number % len(PAGES)])
            while time.perf_counter() < deadline:
                question = next(feed, None)
                if question is None:
                    return
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/ask", json={"question": question, "page_url": next(pages)}
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - began
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "throughput_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.50), 2),
        "p95_ms": round(1000 * percentile(latencies, 0.95), 2),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 2),
    }


def floor_figures(data: Path, questions: list[str]) -> dict[str, float]:
    """The bare model and a bare Chroma query, measured in this process."""
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
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
        collection.query(vector, 100)
        queries.append(time.perf_counter() - started)
    chunks = collection.count()
    live.close()
    return {
        "model_one_question_ms": round(1000 * statistics.median(singles), 2),
        "model_batched_questions_per_second": round(batched, 1),
        "chroma_query_ms": round(1000 * statistics.median(queries), 2),
        "chunks": chunks,
    }


def serve(data: Path, kb: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_KB_DIR": str(kb),
        "FRONTDESK_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [str(BIN / "frontdesk"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").json()["index"]:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise TimeoutError("the server did not start")


def bench_kb(name: str, kb: Path, data: Path, seconds: float, port: int) -> dict[str, Any]:
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(data), "FRONTDESK_KB_DIR": str(kb)}
    subprocess.run(
        [str(BIN / "frontdesk"), "ingest"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    questions = questions_for(kb, 40_000, seed=len(name))
    result: dict[str, Any] = {"knowledge_base": name}
    result["floor"] = floor_figures(data, questions[-2000:])
    process = serve(data, kb, port)
    try:
        url = f"http://127.0.0.1:{port}"
        asyncio.run(run_load(url, questions[:50], 1, 5))  # warm up
        runs = [
            asyncio.run(run_load(url, questions[50 + i * 12000 :], c, seconds))
            for i, c in enumerate((1, 8, 32))
        ]
    finally:
        process.terminate()
        process.wait(timeout=30)
    result["load"] = runs
    one = runs[0]
    result["ratios"] = {
        "p50_over_model_one_question": round(
            one["p50_ms"] / result["floor"]["model_one_question_ms"], 2
        ),
        "c32_throughput_over_batched_model": round(
            runs[2]["throughput_per_second"]
            / result["floor"]["model_batched_questions_per_second"],
            3,
        ),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/ask.json")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="frontdesk-ask-bench-") as tmp:
        results.append(
            bench_kb("sample", ROOT / "kb_articles", Path(tmp) / "sample", args.seconds, args.port)
        )
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
        print(f"\n{result['knowledge_base']}: floor {result['floor']}")
        for run in result["load"]:
            print(
                f"  concurrency {run['concurrency']:>2}: {run['throughput_per_second']:>7} req/s"
                f"  p50 {run['p50_ms']} ms  p95 {run['p95_ms']} ms  p99 {run['p99_ms']} ms"
                f"  errors {run['errors']}/{run['requests']}"
            )
        print(f"  ratios {result['ratios']}")


if __name__ == "__main__":
    main()
