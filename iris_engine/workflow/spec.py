"""Workflow definitions: parsed from YAML, validated against the format schema, immutable.

A *spec* is the definition; a running case only stores its name, version and state. Keeping
them apart lets a case stay on the version it started on while the file moves on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from iris_engine.errors import WorkflowDefinitionError

__all__ = ["StateSpec", "TransitionSpec", "WorkflowSpec", "load_workflow_file"]


@dataclass(frozen=True, slots=True)
class StateSpec:
    name: str
    description: str = ""
    final: bool = False


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    """One event from one or more source states to one destination."""

    event: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    reason_codes: tuple[str, ...] = ()
    note_required: bool = False
    data_schema: Mapping[str, Any] | None = None
    description: str = ""
    data_validator: Draft202012Validator | None = field(default=None, compare=False, repr=False)

    @property
    def requires_reason(self) -> bool:
        return bool(self.reason_codes)


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    name: str
    version: int
    title: str
    initial: str
    states: Mapping[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]
    reason_codes: Mapping[str, str]
    settings: Mapping[str, Any]
    source: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if state in t.sources]

    def transition(self, event: str, state: str) -> TransitionSpec | None:
        for t in self.transitions:
            if t.event == event and state in t.sources:
                return t
        return None

    def events(self) -> set[str]:
        return {t.event for t in self.transitions}


@cache
def _format_validator() -> Draft202012Validator:
    schema = json.loads((Path(__file__).parent / "format.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _key_path(path: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def load_workflow_file(path: Path) -> WorkflowSpec:
    """Parse and validate one workflow file; any defect raises with the file and key path."""
    name = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorkflowDefinitionError(name, "", f"not valid YAML: {exc}") from None
    return build_workflow(raw, source=name)


def build_workflow(raw: Any, *, source: str) -> WorkflowSpec:
    """Validate a parsed definition (structure, then cross-references) and freeze it."""
    errors = sorted(_format_validator().iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise WorkflowDefinitionError(source, _key_path(first.absolute_path), first.message)

    states = {
        state: StateSpec(state, (body or {}).get("description", ""), bool((body or {}).get("final")))
        for state, body in raw["states"].items()
    }
    reason_codes = dict(raw.get("reason_codes") or {})

    def known_state(value: str, key_path: str) -> str:
        if value not in states:
            raise WorkflowDefinitionError(
                source, key_path, f"unknown state {value!r}; declared: {', '.join(states)}"
            )
        return value

    known_state(raw["initial"], "initial")
    transitions: list[TransitionSpec] = []
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(raw["transitions"]):
        where = f"transitions[{i}]"
        sources = (t["from"],) if isinstance(t["from"], str) else tuple(t["from"])
        for j, s in enumerate(sources):
            from_path = f"{where}.from" + ("" if isinstance(t["from"], str) else f"[{j}]")
            known_state(s, from_path)
            if (t["event"], s) in seen:
                raise WorkflowDefinitionError(
                    source, f"{where}.event",
                    f"event {t['event']!r} from state {s!r} is already defined at "
                    f"transitions[{seen[(t['event'], s)]}]",
                )
            seen[(t["event"], s)] = i
            if states[s].final:
                raise WorkflowDefinitionError(source, from_path, f"state {s!r} is final")
        known_state(t["to"], f"{where}.to")
        for j, code in enumerate(t.get("reason_codes", [])):
            if code not in reason_codes:
                raise WorkflowDefinitionError(
                    source, f"{where}.reason_codes[{j}]", f"unknown reason code {code!r}"
                )
        data_schema = t.get("data")
        validator = None
        if data_schema is not None:
            try:
                Draft202012Validator.check_schema(data_schema)
            except Exception as exc:  # jsonschema.SchemaError carries its own path
                raise WorkflowDefinitionError(source, f"{where}.data", str(exc).split("\n")[0]) from None
            validator = Draft202012Validator(
                data_schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
        transitions.append(
            TransitionSpec(
                event=t["event"],
                sources=sources,
                dest=t["to"],
                roles=frozenset(t["roles"]),
                guards=tuple(t.get("guards", ())),
                effects=tuple(t.get("effects", ())),
                reason_codes=tuple(t.get("reason_codes", ())),
                note_required=t.get("note") == "required",
                data_schema=data_schema,
                description=t.get("description", ""),
                data_validator=validator,
            )
        )
    return WorkflowSpec(
        name=raw["name"],
        version=raw["version"],
        title=raw.get("title", raw["name"]),
        initial=raw["initial"],
        states=states,
        transitions=tuple(transitions),
        reason_codes=reason_codes,
        settings=dict(raw.get("settings") or {}),
        source=source,
    )
