"""The widget's import graph, as esbuild bundles it into its two files: no cycles; views that
know the panel but neither each other nor the panel them (they register with it); a first
load without the panel, and a panel file that shares the first load's modules instead of
bundling copies of them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

WIDGET = ROOT / "widget"
ESBUILD = WIDGET / "node_modules" / ".bin" / "esbuild"
# what the panel shows; panel.js is the shell
VIEWS = {"answers.js", "reader.js", "contact.js", "pagehelp.js"}
# the panel's file: the shell, the views, their strings and styles, its entry point
PANEL = {"panel.js", "chunk.js", "strings.js", "panelstyles.js", "pageinfo.js", "conversation.js"}
PANEL |= VIEWS | {"suggest.js", "deflect.js"}

Graph = dict[str, list[str]]


def _name(path: str) -> str:
    """ "src/panel.js" and the panel's stand-in "shared:/…/src/config.js" as "panel.js"."""
    return Path(path.removeprefix("shared:")).name


@pytest.fixture(scope="module")
def metafiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The inputs of esbuild's metafile for each file the build writes ("widget", "panel"),
    built as the build script does (`node build.mjs <dir> --meta`) into a temp folder."""
    if not ESBUILD.exists():
        pytest.fail("widget/node_modules is missing: `make install` installs it")
    assert json.loads((WIDGET / "package.json").read_text())["scripts"]["build"] == "node build.mjs"
    out = tmp_path_factory.mktemp("widget-graph")
    subprocess.run(
        ["node", "build.mjs", str(out), "--meta"], cwd=WIDGET, check=True, capture_output=True
    )
    return {
        file: json.loads((out / f"{file}.meta.json").read_text())["inputs"]
        for file in ("widget", "panel")
    }


@pytest.fixture(scope="module")
def builds(metafiles: dict[str, dict[str, Any]]) -> dict[str, Graph]:
    """For each file: each module of widget/src in it (as "panel.js") → the modules of
    widget/src it imports. In the panel's graph, a module of the first load that the panel
    uses is there as its stand-in, under its own name."""
    graphs: dict[str, Graph] = {}
    for file, inputs in metafiles.items():
        graphs[file] = {
            _name(path): [_name(i["path"]) for i in data["imports"]]
            for path, data in inputs.items()
            if path.startswith(("src/", "shared:"))
        }
    return graphs


@pytest.fixture(scope="module")
def imports(builds: dict[str, Graph]) -> Graph:
    """Both files' graphs as one: the widget's modules and what each imports."""
    graph: Graph = {}
    for built in builds.values():
        for module, imported in built.items():
            graph[module] = sorted(set(graph.get(module, [])) | set(imported))
    return graph


def cycles(graph: Graph) -> list[str]:
    """A cycle for each back edge of a depth-first walk, as "a.js → b.js → a.js"; none if and
    only if the graph has no cycle."""
    found: list[str] = []
    done: set[str] = set()
    path: list[str] = []

    def walk(module: str) -> None:
        path.append(module)
        for imported in sorted(graph.get(module, [])):
            if imported in path:
                found.append(" → ".join([*path[path.index(imported) :], imported]))
            elif imported not in done:
                walk(imported)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            walk(module)
    return found


def test_cycles_are_found_and_named() -> None:
    graph = {"a.js": ["b.js"], "b.js": ["c.js"], "c.js": ["a.js", "d.js"], "d.js": []}
    assert cycles(graph) == ["a.js → b.js → c.js → a.js"]
    assert cycles({"a.js": ["b.js", "c.js"], "b.js": ["c.js"], "c.js": []}) == []


def test_the_widget_has_no_import_cycle(imports: Graph) -> None:
    found = cycles(imports)
    assert not found, "import cycles in widget/src: " + "; ".join(found)


def test_no_view_imports_another_view(imports: Graph) -> None:
    assert imports.keys() >= VIEWS | {"panel.js"}, sorted(imports)
    crossed = [f"{v} imports {i}" for v in sorted(VIEWS) for i in imports[v] if i in VIEWS]
    assert not crossed, "views must not import views: " + "; ".join(crossed)


def test_the_panel_imports_no_view(imports: Graph) -> None:
    shown = sorted(VIEWS.intersection(imports["panel.js"]))
    assert not shown, f"panel.js imports views {shown}: views register with the panel instead"


def test_the_first_load_has_no_panel_code(builds: dict[str, Graph]) -> None:
    inside = sorted(PANEL.intersection(builds["widget"]))
    assert not inside, f"the first load (widget.js) bundles {inside}: they belong in panel.js"
    assert builds["panel"].keys() >= PANEL, sorted(builds["panel"])


def test_the_panel_shares_the_first_loads_modules_instead_of_copying_them(
    metafiles: dict[str, dict[str, Any]],
) -> None:
    first, panel = metafiles["widget"], metafiles["panel"]
    copied = sorted(
        _name(p) for p in panel if p.startswith("src/") and p in first and p != "src/keys.js"
    )
    assert not copied, f"panel.js bundles its own copy of {copied} (one state: share them)"
    stand_ins = sorted(_name(p) for p in panel if p.startswith("shared:"))
    assert {"events.js", "config.js", "launcher.js"} <= set(stand_ins), stand_ins
