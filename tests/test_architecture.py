"""The layout shows the architecture: imports run downward only, along allowed edges.

`server/` is one package per concern plus a few top modules. They stand in layers; a
unit may import the units of the layers below it, never one of its own layer or above.
`ALLOWED` lists every edge the code has; a new one is a decision, made here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

SERVER = ROOT / "server"
LAYERS: tuple[tuple[str, ...], ...] = (
    ("app", "cli"),
    ("services", "operations"),
    ("admin",),
    ("insights", "handoff", "helpdesk"),
    ("ask", "prompts", "events", "host"),
    ("platform", "migrations"),
    ("settings", "tables"),
    ("fields",),
    ("ingest",),
)
ALLOWED = {
    ("app", "services"),
    ("app", "operations"),
    ("app", "admin"),
    ("app", "handoff"),
    ("app", "helpdesk"),
    ("app", "ask"),
    ("app", "events"),
    ("app", "host"),
    ("app", "prompts"),
    ("app", "platform"),
    ("app", "settings"),
    ("app", "ingest"),
    ("cli", "admin"),
    ("cli", "helpdesk"),
    ("cli", "insights"),
    ("cli", "handoff"),
    ("cli", "ask"),
    ("cli", "prompts"),
    ("cli", "platform"),
    ("cli", "settings"),
    ("cli", "ingest"),
    ("services", "admin"),
    ("services", "insights"),
    ("services", "handoff"),
    ("services", "helpdesk"),
    ("services", "ask"),
    ("services", "events"),
    ("services", "host"),
    ("services", "prompts"),
    ("services", "platform"),
    ("services", "settings"),
    ("services", "ingest"),
    ("operations", "handoff"),
    ("operations", "ask"),
    ("operations", "prompts"),
    ("operations", "platform"),
    ("operations", "settings"),
    ("admin", "insights"),
    ("admin", "handoff"),
    ("admin", "helpdesk"),
    ("admin", "ask"),
    ("admin", "events"),
    ("admin", "prompts"),
    ("admin", "platform"),
    ("admin", "settings"),
    ("admin", "tables"),
    ("admin", "fields"),
    ("admin", "ingest"),
    ("insights", "events"),
    ("insights", "platform"),
    ("insights", "settings"),
    ("insights", "tables"),
    ("insights", "fields"),
    ("insights", "ingest"),
    ("helpdesk", "events"),
    ("helpdesk", "platform"),
    ("helpdesk", "settings"),
    ("helpdesk", "tables"),
    ("helpdesk", "fields"),
    ("handoff", "ask"),
    ("handoff", "events"),
    ("handoff", "platform"),
    ("handoff", "settings"),
    ("handoff", "tables"),
    ("handoff", "fields"),
    ("handoff", "ingest"),
    ("ask", "platform"),
    ("ask", "settings"),
    ("ask", "fields"),
    ("ask", "ingest"),
    ("prompts", "platform"),
    ("prompts", "fields"),
    ("prompts", "ingest"),
    ("events", "platform"),
    ("events", "settings"),
    ("events", "tables"),
    ("events", "fields"),
    ("platform", "settings"),
    ("platform", "tables"),
    ("platform", "fields"),
    ("migrations", "tables"),
    ("settings", "fields"),
    ("settings", "ingest"),
    ("fields", "ingest"),
}


def unit_of(path: Path) -> str:
    """The package (`server/ask/...` → `ask`) or top module (`server/app.py` → `app`)."""
    return path.relative_to(SERVER).parts[0].removesuffix(".py")


def imported_units(path: Path) -> set[str]:
    """The units a module imports, at its top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "server":
                names = [f"server.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "server" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] == "ingest":
                found.add("ingest")
    return found


def server_modules() -> list[Path]:
    return [p for p in sorted(SERVER.rglob("*.py")) if p != SERVER / "__init__.py"]


def layer(unit: str) -> int:
    return next(number for number, units in enumerate(LAYERS) if unit in units)


def test_every_server_module_belongs_to_a_layer() -> None:
    placed = {unit for units in LAYERS for unit in units}
    unplaced = sorted({unit_of(p) for p in server_modules()} - placed)
    assert unplaced == [], f"add these to LAYERS in {Path(__file__).name}: {unplaced}"


def test_the_allowed_edges_run_downward_only() -> None:
    upward_or_sideways = sorted((a, b) for a, b in ALLOWED if layer(a) >= layer(b))
    assert upward_or_sideways == []


def test_imports_follow_the_allowed_edges() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {unit}: {unit_of(path)} -> {unit} is not allowed"
        for path in server_modules()
        for unit in sorted(imported_units(path) - {unit_of(path)})
        if (unit_of(path), unit) not in ALLOWED
    ]
    assert wrong == []


def test_a_wrong_way_import_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("from server.admin.views import Views\nimport server.ask.api\n")
    assert imported_units(module) == {"admin", "ask"}
    assert ("events", "admin") not in ALLOWED and ("ask", "events") not in ALLOWED


def test_ingest_never_imports_the_server() -> None:
    for path in (ROOT / "ingest").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) server\b", source, re.MULTILINE), path
