"""The widget's import graph, as esbuild bundles it: no cycles, and views that know the panel
but neither each other nor the panel them (they register with it)."""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest

from tests.conftest import ROOT

WIDGET = ROOT / "widget"
ESBUILD = WIDGET / "node_modules" / ".bin" / "esbuild"
VIEWS = {"answers.js", "reader.js", "contact.js"}  # what the panel shows; panel.js is the shell

Graph = dict[str, list[str]]


@pytest.fixture(scope="module")
def imports(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """Each module of widget/src (as "panel.js") → the modules of widget/src it imports, from
    the metafile of the build script's esbuild command with its output in a temp folder."""
    if not ESBUILD.exists():
        pytest.fail("widget/node_modules is missing: `make install` installs it")
    build = shlex.split(json.loads((WIDGET / "package.json").read_text())["scripts"]["build"])
    assert build[0] == "esbuild", build
    out = tmp_path_factory.mktemp("widget-graph")
    options = [a for a in build[1:] if not a.startswith("--outfile=")]
    subprocess.run(
        [
            str(ESBUILD),
            *options,
            f"--outfile={out / 'widget.js'}",
            f"--metafile={out / 'meta.json'}",
        ],
        cwd=WIDGET,
        check=True,
        capture_output=True,
    )
    inputs = json.loads((out / "meta.json").read_text())["inputs"]
    return {
        path.removeprefix("src/"): [
            i["path"].removeprefix("src/") for i in data["imports"] if i["path"].startswith("src/")
        ]
        for path, data in inputs.items()
        if path.startswith("src/")
    }


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
