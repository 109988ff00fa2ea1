"""Widget benchmark: sizes, time to the painted launcher, long tasks, panel-ready time and
main-thread time, in Chromium.

Starts a real `frontdesk serve` on the sample knowledge base, loads the demo page (strict
CSP, hostile CSS) in Debian's Chromium a number of times with the cache off, and reports
medians:

- `widget.js` (the first load) and `panel.js` (the panel's file) gzipped bytes;
- the long tasks (over 50 ms, Chromium's `longtask` PerformanceObserver) in the page from
  navigation until the widget has loaded, the panel's file included (fetched when idle);
- from a click on the launcher to the panel open and painted, with the panel's file not yet
  fetched (the click comes right after the launcher is there, before the idle fetch; the
  cache is off, so the file comes from the server over loopback);
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
import re
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

# installed before the page's scripts: every long task of the page, kept for the bench
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push(e.duration);
}).observe({type: 'longtask', buffered: true});
"""

# the requests for the panel's file (/widget/<content hash>.js)
PANEL_FETCHES = (
    "performance.getEntriesByType('resource')"
    ".filter((e) => /\\/widget\\/[0-9a-f]{16}\\.js/.test(e.name))"
)

# a click on the launcher → the panel open (the host's data-state) and then painted
OPEN_PANEL = """() => new Promise((resolve) => {
    const host = document.querySelector('frontdesk-widget');
    const launcher = host.shadowRoot.querySelector('[data-fd="launcher"]');
    const fetched = () => PANEL_FETCHES.length;
    const before = fetched();
    const t0 = performance.now();
    new MutationObserver((_, observer) => {
        if (host.getAttribute('data-state') != 'open') return;
        observer.disconnect();
        const ready = performance.now() - t0;
        requestAnimationFrame(() => setTimeout(() => resolve({
            ready, painted: performance.now() - t0, cold: before == 0 && fetched() == 1,
        })));
    }).observe(host, {attributes: true});
    launcher.click();
})""".replace("PANEL_FETCHES", PANEL_FETCHES)

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


WIDGET_URL = re.compile(r"/widget(\.js|/[0-9a-f]{16}\.js)")  # the first load, the panel's file


def widget_ms(profile: dict[str, Any]) -> float:
    """Self time of every profile node whose code comes from the widget's two files."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    self_us: dict[int, float] = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        self_us[sample] = self_us.get(sample, 0.0) + delta
    total = sum(
        us
        for node_id, us in self_us.items()
        if WIDGET_URL.search(nodes[node_id]["callFrame"]["url"])
    )
    return total / 1000


def cold_open(page: Page, url: str) -> dict[str, float]:
    """Load the page, click the launcher at once: the time until the panel is open."""
    page.goto(url)
    page.evaluate(PAINTED)
    opened = page.evaluate(OPEN_PANEL)
    if not opened["cold"]:
        raise RuntimeError("the panel's file was not fetched by the click: the run is not cold")
    return {
        "click_to_panel_open_cold_ms": opened["ready"],
        "click_to_panel_painted_cold_ms": opened["painted"],
    }


def one_load(page: Page, cdp: CDPSession, url: str) -> dict[str, float]:
    cdp.send("Profiler.start")
    page.goto(url)
    timing = page.evaluate(PAINTED)
    page.wait_for_load_state("networkidle")
    # the panel's file comes when the page is idle, a few seconds after load
    page.wait_for_function(f"() => {PANEL_FETCHES}.length > 0", timeout=20_000)
    page.wait_for_timeout(300)
    long_tasks: list[float] = page.evaluate("window.__longTasks")
    load_ms = widget_ms(cdp.send("Profiler.stop")["profile"])
    cdp.send("Profiler.start")
    page.locator('[data-fd="launcher"]').click()
    page.locator('[data-fd="input"]').fill("How do I change the credit card I pay with?")
    page.locator('[data-fd="input"]').press("Enter")
    page.locator('[data-fd="passage"]').wait_for()
    page.wait_for_timeout(300)
    ask_ms = widget_ms(cdp.send("Profiler.stop")["profile"])
    return {
        "long_tasks_while_loading": len(long_tasks),
        "longest_task_while_loading_ms": max(long_tasks, default=0.0),
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
    first = (ROOT / "widget/dist/widget.js").read_bytes()
    panel = (ROOT / "widget/dist/panel.js").read_bytes()
    result: dict[str, Any] = {
        "widget_bytes": len(first),
        "widget_gzip_bytes": len(gzip.compress(first, compresslevel=9)),
        "panel_bytes": len(panel),
        "panel_gzip_bytes": len(gzip.compress(panel, compresslevel=9)),
    }
    with tempfile.TemporaryDirectory(prefix="frontdesk-widget-bench-") as tmp:
        server = ingest_and_serve(Path(tmp) / "data", args.port)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                runs = []
                url = f"http://127.0.0.1:{args.port}/demo/settings/billing"
                for _ in range(args.runs + 1):  # the first run warms the server's caches up
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    context.add_init_script(LONG_TASKS)
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    cdp.send("Network.enable")
                    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                    run = cold_open(page, url)  # without the profiler, which slows the page
                    cdp.send("Profiler.enable")
                    cdp.send("Profiler.setSamplingInterval", {"interval": 100})
                    runs.append({**run, **one_load(page, cdp, url)})
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
