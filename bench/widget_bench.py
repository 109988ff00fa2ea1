"""Widget benchmark: size, time to the painted launcher, and main-thread time, in Chromium.

Starts a real `frontdesk serve` on the sample knowledge base, loads the demo page (strict
CSP, hostile CSS) in Debian's Chromium a number of times with the cache off, and reports
medians:

- `widget.js` gzipped bytes (what the browser downloads);
- from the widget's script response to the launcher painted (the widget marks
  `frontdesk:launcher` once the launcher is in the DOM; the next animation frame after it
  is the paint);
- the main-thread JavaScript time spent in `widget.js` (Chrome's CPU profiler, sampled
  every 100 µs, from navigation until the page is idle), and the same after opening the
  panel and asking one question.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import CDPSession, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import BIN, serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

PAINTED = """() => new Promise((resolve) => {
    const done = () => {
        const mark = performance.getEntriesByName('frontdesk:launcher')[0];
        requestAnimationFrame(() => resolve({
            launcher: mark ? mark.startTime : null,
            painted: performance.now(),
            script: (performance.getEntriesByType('resource')
                .find((e) => e.name.includes('/widget.js')) || {}).responseEnd || null,
        }));
    };
    if (performance.getEntriesByName('frontdesk:launcher').length) done();
    else new PerformanceObserver((list, observer) => { observer.disconnect(); done(); })
        .observe({type: 'mark', buffered: true});
})"""


def ingest_and_serve(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {"FRONTDESK_DATA_DIR": str(data), "FRONTDESK_KB_DIR": str(ROOT / "kb_articles")}
    subprocess.run(
        [str(BIN / "frontdesk"), "ingest"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    return serve(port, **env)


def widget_ms(profile: dict[str, Any]) -> float:
    """Self time of every profile node whose code comes from widget.js."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    self_us: dict[int, float] = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        self_us[sample] = self_us.get(sample, 0.0) + delta
    total = sum(
        us for node_id, us in self_us.items() if "/widget.js" in nodes[node_id]["callFrame"]["url"]
    )
    return total / 1000


def one_load(page: Page, cdp: CDPSession, url: str) -> dict[str, float]:
    cdp.send("Profiler.start")
    page.goto(url)
    timing = page.evaluate(PAINTED)
    page.wait_for_load_state("networkidle")
    load_ms = widget_ms(cdp.send("Profiler.stop")["profile"])
    cdp.send("Profiler.start")
    page.locator('[data-fd="launcher"]').click()
    page.locator('[data-fd="input"]').fill("How do I change the credit card I pay with?")
    page.locator('[data-fd="input"]').press("Enter")
    page.locator('[data-fd="passage"]').wait_for()
    page.wait_for_timeout(300)
    ask_ms = widget_ms(cdp.send("Profiler.stop")["profile"])
    return {
        "script_to_launcher_in_dom_ms": timing["launcher"] - timing["script"],
        "script_to_launcher_painted_ms": timing["painted"] - timing["script"],
        "navigation_to_launcher_painted_ms": timing["painted"],
        "main_thread_widget_load_ms": load_ms,
        "main_thread_widget_open_and_ask_ms": ask_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/widget.json")
    args = parser.parse_args()
    subprocess.run(
        ["npm", "run", "--prefix", str(ROOT / "widget"), "--silent", "build"], check=True
    )
    built = (ROOT / "widget/dist/widget.js").read_bytes()
    result: dict[str, Any] = {
        "widget_bytes": len(built),
        "widget_gzip_bytes": len(gzip.compress(built, compresslevel=9)),
    }
    with tempfile.TemporaryDirectory(prefix="frontdesk-widget-bench-") as tmp:
        server = ingest_and_serve(Path(tmp) / "data", args.port)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                runs = []
                for _ in range(args.runs + 1):  # the first run warms the server's caches up
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                    cdp.send("Profiler.enable")
                    cdp.send("Profiler.setSamplingInterval", {"interval": 100})
                    runs.append(
                        one_load(page, cdp, f"http://127.0.0.1:{args.port}/demo/settings/billing")
                    )
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    for key in runs[0]:
        values = [run[key] for run in runs[1:]]
        result[key] = {
            "median": round(statistics.median(values), 2),
            "min": round(min(values), 2),
            "max": round(max(values), 2),
        }
    result["runs"] = args.runs
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    if shutil.which("npm") is None:
        sys.exit("npm is missing: run `make install`")
    main()
