"""Reading `prompts.yaml`: every problem names the file, the line and what is wrong, like the
knowledge base's errors (`server.platform.yaml_lines`)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ingest.errors import Finding
from server.platform.yaml_lines import Loader, line_of
from server.prompts.schema import TRIGGER_TYPES, PromptSet, PromptsFile


class PromptsError(Exception):
    """The prompts file has errors; the last good set keeps serving."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = sorted(findings)
        lines = "\n".join(str(f) for f in self.findings)
        super().__init__(f"{len(self.findings)} error(s) in the prompts file:\n{lines}")


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    """`prompts[2] (billing-idle).trigger.seconds` for an error location."""
    parts: list[str] = []
    for index, key in enumerate(loc):
        if isinstance(key, int):
            parts[-1] += f"[{key}]"
            if loc[:index] == ("prompts",):
                with contextlib.suppress(KeyError, TypeError, IndexError):
                    parts[-1] += f" ({data['prompts'][key]['id']})"
        elif key in TRIGGER_TYPES and index > 0 and loc[index - 1] == "trigger":
            continue  # pydantic names the union member; the user wrote `type: ...`
        else:
            parts.append(str(key))
    return ".".join(parts)


def article_lines(path: Path) -> dict[str, int]:
    """`<prompt id>.articles` → line, for cross-reference findings."""
    node = yaml.compose(path.read_text(encoding="utf-8"), Loader=Loader)
    lines: dict[str, int] = {}
    prompts = next((v for k, v in getattr(node, "value", []) if k.value == "prompts"), None)
    for item in getattr(prompts, "value", []):
        fields = dict((k.value, (k, v)) for k, v in getattr(item, "value", []))
        if "id" in fields and "articles" in fields:
            lines[f"{fields['id'][1].value}.articles"] = fields["articles"][0].start_mark.line + 1
    return lines


def check_prompts(path: Path, article_ids: Iterable[str]) -> list[Finding]:
    """What `frontdesk check` reports for a prompts file: every error, and unknown articles."""
    try:
        prompt_set = parse_prompts(path)
    except PromptsError as exc:
        return exc.findings
    return prompt_set.article_findings(article_ids, article_lines(path))


def parse_prompts(path: Path) -> PromptSet:
    """Read and validate a prompts file; raise :class:`PromptsError` naming every problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PromptsError([Finding(path, 1, f"cannot read the file: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=Loader)
        data = yaml.load(text, Loader=Loader) if node is not None else {}
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PromptsError([Finding(path, line, "the file is not valid UTF-8")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else 1
        raise PromptsError([Finding(path, line, f"invalid YAML: {problem}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PromptsError([Finding(path, 1, "the file must be a mapping with `prompts:`")])
    try:
        parsed = PromptsFile.model_validate(data)
    except ValidationError as exc:
        findings = [
            Finding(
                path,
                line_of(node, tuple(e["loc"])),
                f"{_where(tuple(e['loc']), data)}: {e['msg']}",
            )
            for e in exc.errors()
        ]
        raise PromptsError(findings) from None
    seen: dict[str, int] = {}
    duplicates = []
    for index, prompt in enumerate(parsed.prompts):
        if prompt.id in seen:
            line = line_of(node, ("prompts", index, "id"))
            duplicates.append(Finding(path, line, f"duplicate prompt id {prompt.id!r}"))
        seen[prompt.id] = index
    if duplicates:
        raise PromptsError(duplicates)
    return PromptSet(
        path, parsed.limits, tuple(parsed.prompts), hashlib.sha256(raw).hexdigest()[:16]
    )
