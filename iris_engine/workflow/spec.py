"""Workflow definitions: parsed from YAML, validated against the format schema, immutable.

A *spec* is the definition; a running case only stores its name, version and state. Keeping
them apart lets a case stay on the version it started on while the file moves on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeAlias

import isodate
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from iris_engine.errors import WorkflowDefinitionError

__all__ = [
    "ENGINE_EVENTS",
    "SCOPES",
    "SYSTEM_ROLE",
    "UPGRADE_EVENT",
    "Assignment",
    "Duration",
    "StateSpec",
    "TimerSpec",
    "TransitionSpec",
    "WorkflowSpec",
    "duration_setting",
    "load_workflow_file",
]

#: the role timers fire as: the platform itself, which reaches every case of every workflow
SYSTEM_ROLE = "system"
#: what a role may reach of a workflow's cases (``access:`` in a workflow file)
SCOPES = ("all", "organisation", "assigned", "queue", "case")
#: the event that moves a live case to a later version of its workflow (``cases.upgrade``)
UPGRADE_EVENT = "upgrade"
#: events the engine records itself; no workflow file may name a transition so, or the audit
#: replay could not tell the two apart
ENGINE_EVENTS = ("open", UPGRADE_EVENT)


@dataclass(frozen=True, slots=True)
class StateSpec:
    name: str
    description: str = ""
    final: bool = False


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who holds the case after a transition: the user a data field names (``data_field``), or
    the actor when it acts in ``taken_by`` and nobody holds the case yet."""

    data_field: str | None = None
    taken_by: str | None = None


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    """One event from one or more source states to one destination."""

    event: str
    sources: tuple[str, ...]
    #: None: the case stays in the state it is in (the event is still recorded), or, with
    #: ``back_from``, goes back where it came from
    dest: str | None
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    reason_codes: tuple[str, ...] = ()
    note_required: bool = False
    data_schema: Mapping[str, Any] | None = None
    description: str = ""
    data_validator: Draft202012Validator | None = field(default=None, compare=False, repr=False)
    #: roles told of this transition through the outbox
    notify: tuple[str, ...] = ()
    #: roles outside the staff who may read this event's note and data (e.g. complainant)
    audience: tuple[str, ...] = ()
    #: the engine's change of assignee, if the transition makes one
    assign: Assignment | None = None
    #: its note is personal data: sealed at rest, never copied into e-mail, erased by a purge
    #: (a note by a role whose scope is ``case``, the person the case is about, always is)
    personal_note: bool = False
    #: ``to: {back_from: [...]}``: the case returns to the state it was in before it entered
    #: these states (its events say which); empty for a transition with a fixed ``dest``
    back_from: frozenset[str] = frozenset()
    #: the states it may return to, computed at load: the sources of the transitions that
    #: enter ``back_from`` from outside it (the diagram draws them, the engine checks them)
    back_to: tuple[str, ...] = ()
    #: properties of its data that are personal data: sealed with the event's note, never in
    #: the event's clear data (``cases.notes``)
    personal_data: tuple[str, ...] = ()

    @property
    def requires_reason(self) -> bool:
        return bool(self.reason_codes)

    @property
    def destinations(self) -> tuple[str, ...]:
        """Every state this transition may lead to (its sources, when it stays)."""
        if self.back_from:
            return self.back_to
        return (self.dest,) if self.dest is not None else self.sources


#: an ISO 8601 duration as isodate parses it: a timedelta, or a Duration for years and months
Duration: TypeAlias = timedelta | isodate.Duration


@dataclass(frozen=True, slots=True)
class TimerSpec:
    """A deadline: set when a case enters ``states`` from outside them, cancelled when it leaves.

    When due it fires ``event`` as the system actor (through the normal pipeline) and/or tells
    the ``notify`` roles; reminders go to the same roles ``remind_before`` the deadline.
    """

    name: str
    states: frozenset[str]
    after: Duration | None = None
    #: a field of the case's detail whose value picks the duration from ``after_by_value``
    after_by: str | None = None
    after_by_value: Mapping[str, Duration] = field(default_factory=dict)
    anchor: str | None = None
    offset: Duration | None = None
    event: str | None = None
    reason_code: str | None = None
    note: str | None = None
    remind_before: tuple[Duration, ...] = ()
    notify: tuple[str, ...] = ()
    description: str = ""
    #: events that cancel the running timer and start it afresh when the case stays in its
    #: states (a move inside them otherwise neither stops nor restarts it)
    restart_on: frozenset[str] = frozenset()

    def starts(self, source: str | None, dest: str) -> bool:
        return dest in self.states and (source is None or source not in self.states)

    def restarts(self, event: str, source: str | None, dest: str) -> bool:
        return (event in self.restart_on and source is not None and source in self.states
                and dest in self.states)

    def stops(self, source: str | None, dest: str) -> bool:
        return source is not None and source in self.states and dest not in self.states


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
    timers: Mapping[str, TimerSpec] = field(default_factory=dict)
    #: roles told when a case opens
    notify_on_open: tuple[str, ...] = ()
    #: role -> scope (one of SCOPES, or a scope a domain registers by name): who reaches which
    #: cases; an unlisted role reaches none
    access: Mapping[str, str] = field(default_factory=dict)

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

    def note_is_personal(self, transition: TransitionSpec | None, role: str) -> bool:
        """Whether a note ``role`` writes on ``transition`` is personal data: the file marks
        the transition so, or the role's scope is the one case it is about (its person)."""
        return (transition is not None and transition.personal_note) or self.access.get(role) == "case"

    @property
    def opening(self) -> TransitionSpec:
        """The opening of a case, as a transition (who hears of it)."""
        return TransitionSpec(event="open", sources=(), dest=self.initial, roles=frozenset(),
                              notify=self.notify_on_open)


# libyaml's parser where PyYAML was built with it (it usually is): the same safe constructor,
# ~10x faster. The app parses every workflow file at start-up, and the tests start one per test
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _format_validator() -> Draft202012Validator:
    schema = json.loads((Path(__file__).parent / "format.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _key_path(path: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def load_workflow_file(path: Path) -> WorkflowSpec:
    """Parse and validate one workflow file; any defect raises with the file and key path."""
    return _load_workflow_text(str(path), path.read_text(encoding="utf-8"))


@lru_cache(maxsize=128)
def _load_workflow_text(name: str, text: str) -> WorkflowSpec:
    """The spec of one file's text, built once per process: the spec is frozen, and
    validating a file and every JSON Schema in it is the costly part of starting an app
    (most of a test's set-up, when every test builds its own). A file changed since is
    other text, so it is built again; a defect raises and is not kept."""
    try:
        raw = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise WorkflowDefinitionError(name, "", f"not valid YAML: {exc}") from None
    return build_workflow(raw, source=name)


def build_workflow(raw: Any, *, source: str) -> WorkflowSpec:
    """Validate a parsed definition (structure, then cross-references) and freeze it."""
    errors = sorted(_format_validator().iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        if first.context:  # a oneOf: name the entry at fault, not just the whole alternative
            first = best_match([first])
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
        if t["event"] in ENGINE_EVENTS:
            raise WorkflowDefinitionError(source, f"{where}.event", f"{t['event']!r} is an event "
                                          "the engine records itself; give the transition "
                                          "another name")
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
        back_from: frozenset[str] = frozenset()
        if isinstance(t.get("to"), Mapping):
            for j, s in enumerate(t["to"]["back_from"]):
                known_state(s, f"{where}.to.back_from[{j}]")
            back_from = frozenset(t["to"]["back_from"])
            outside = [s for s in sources if s not in back_from]
            if outside:
                raise WorkflowDefinitionError(
                    source, f"{where}.to.back_from",
                    f"the case must be in the states it goes back from; {', '.join(outside)} "
                    "of `from` is not among them")
        elif "to" in t:
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
                dest=t.get("to") if isinstance(t.get("to"), str) else None,
                roles=frozenset(t["roles"]),
                guards=tuple(t.get("guards", ())),
                effects=tuple(t.get("effects", ())),
                reason_codes=tuple(t.get("reason_codes", ())),
                note_required=t.get("note") == "required",
                data_schema=data_schema,
                description=t.get("description", ""),
                data_validator=validator,
                notify=tuple(t.get("notify", ())),
                audience=tuple(t.get("audience", ())),
                assign=_assignment(source, where, t),
                personal_note=bool(t.get("personal_note", raw.get("personal_notes", False))),
                back_from=back_from,
                personal_data=tuple(t.get("personal_data", ())),
            )
        )
    transitions = _resolve_back_transitions(source, transitions, list(states))
    settings = dict(raw.get("settings") or {})
    timers = {
        name: _build_timer(source, name, body, states, transitions, settings)
        for name, body in (raw.get("timers") or {}).items()
    }
    access = dict(raw["access"])
    _check_roles_reach(source, raw, access)
    return WorkflowSpec(
        name=raw["name"],
        version=raw["version"],
        title=raw.get("title", raw["name"]),
        initial=raw["initial"],
        states=states,
        transitions=tuple(transitions),
        reason_codes=reason_codes,
        settings=settings,
        source=source,
        timers=timers,
        notify_on_open=tuple(raw.get("notify_on_open", ())),
        access=access,
    )


def _resolve_back_transitions(source: str, transitions: list[TransitionSpec],
                              order: list[str]) -> list[TransitionSpec]:
    """Give each ``back_from`` transition the states it may return to: the sources of the
    transitions with a fixed ``to`` that enter its set from outside (another return into the
    set resumes a stay begun by one of those: ``workflow.history``). None is a definition
    error."""
    resolved = list(transitions)
    for i, t in enumerate(transitions):
        if not t.back_from:
            continue
        found = {s for other in transitions if other.dest in t.back_from
                 for s in other.sources if s not in t.back_from}
        if not found:
            raise WorkflowDefinitionError(
                source, f"transitions[{i}].to.back_from",
                f"no transition enters {', '.join(sorted(t.back_from))} from another state, so "
                f"{t.event!r} has nowhere to go back to")
        # in the order the states are declared: a stable diagram and listing
        resolved[i] = replace(t, back_to=tuple(sorted(found, key=order.index)))
    return resolved


def _assignment(source: str, where: str, raw: Mapping[str, Any]) -> Assignment | None:
    body = raw.get("assign")
    if body is None:
        return None
    if "data" in body:
        schema = raw.get("data") or {}
        if body["data"] not in (schema.get("required") or ()):
            raise WorkflowDefinitionError(source, f"{where}.assign.data",
                                          f"the event's data must require {body['data']!r}")
        return Assignment(data_field=body["data"])
    if body["taken_by"] not in raw["roles"]:
        raise WorkflowDefinitionError(source, f"{where}.assign.taken_by",
                                      f"{body['taken_by']!r} is not among the event's roles")
    return Assignment(taken_by=body["taken_by"])


def _check_roles_reach(source: str, raw: Mapping[str, Any], access: Mapping[str, str]) -> None:
    """Every role a file names must reach its cases: one that may fire or be told of an event
    but reaches no case would never fire it, or never hear (access is closed by default)."""
    named: list[tuple[str, str]] = []
    for i, t in enumerate(raw["transitions"]):
        for key in ("roles", "notify", "audience"):
            named += [(f"transitions[{i}].{key}[{j}]", r) for j, r in enumerate(t.get(key, ()))]
    named += [(f"notify_on_open[{j}]", r) for j, r in enumerate(raw.get("notify_on_open", ()))]
    for name, body in (raw.get("timers") or {}).items():
        named += [(f"timers.{name}.notify[{j}]", r) for j, r in enumerate(body.get("notify", ()))]
    for key_path, role in named:
        if role != SYSTEM_ROLE and role not in access:
            raise WorkflowDefinitionError(
                source, key_path, f"role {role!r} has no access to this workflow's cases; "
                f"add it under access (roles with access: {', '.join(sorted(access))})")


def _setting_or_duration(source: str, where: str, value: Any,
                         settings: Mapping[str, Any]) -> Any:
    """A timer's duration as written (``P30D``), or the duration the setting it names holds."""
    if isinstance(value, str) and not value.lstrip("+-").startswith("P"):  # a setting's name
        if not isinstance(settings.get(value), str):
            raise WorkflowDefinitionError(source, where,
                                          f"no setting {value!r} holding a duration (e.g. P30D)")
        return settings[value]
    return value


def duration_setting(settings: Mapping[str, Any], name: str,
                     default: str | None = None) -> Duration:
    """A workflow setting that holds an ISO 8601 duration (``appeal_period: P30D``), for the
    hooks that count with it; ``default`` when the file does not set it."""
    text = settings[name] if default is None else settings.get(name, default)
    return isodate.parse_duration(str(text))


#: durations are checked against a late start so none overflows when a case reaches it
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _duration(source: str, key_path: str, text: str) -> Duration:
    try:
        value = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, OverflowError) as exc:
        raise WorkflowDefinitionError(source, key_path, f"not an ISO 8601 duration: {exc}") from None
    try:  # a deadline must be a date a case can reach, not an overflow at run time
        _LATEST + value
    except (OverflowError, ValueError):
        raise WorkflowDefinitionError(source, key_path, f"{text} is longer than a deadline "
                                      "can be (at most about a century)") from None
    if _LATEST + value > _LATEST.replace(year=_LATEST.year + 100):
        raise WorkflowDefinitionError(source, key_path, f"{text} is longer than a deadline "
                                      "can be (at most about a century)")
    return value


def _build_timer(source: str, name: str, body: Mapping[str, Any], states: Mapping[str, StateSpec],
                 transitions: list[TransitionSpec], settings: Mapping[str, Any]) -> TimerSpec:
    where = f"timers.{name}"
    known_events = {t.event for t in transitions}
    for j, restart in enumerate(body.get("restart_on", ())):
        if restart not in known_events:
            raise WorkflowDefinitionError(source, f"{where}.restart_on[{j}]",
                                          f"unknown event {restart!r}: it could never re-arm "
                                          "this timer")
        if not any(t.event == restart and set(t.sources) & set(body["states"])
                   for t in transitions):
            raise WorkflowDefinitionError(
                source, f"{where}.restart_on[{j}]",
                f"event {restart!r} is not defined from any state of this timer "
                f"({', '.join(body['states'])}), so it could never re-arm it")
    for j, state in enumerate(body["states"]):
        if state not in states:
            raise WorkflowDefinitionError(source, f"{where}.states[{j}]", f"unknown state {state!r}")
        if states[state].final:
            raise WorkflowDefinitionError(source, f"{where}.states[{j}]",
                                          f"state {state!r} is final: a timer there never ends")
    fire = body.get("fire") or {}
    event = fire.get("event")
    if event is not None:
        for state in body["states"]:
            spec = next((t for t in transitions if t.event == event and state in t.sources), None)
            if spec is None:
                raise WorkflowDefinitionError(
                    source, f"{where}.fire.event",
                    f"event {event!r} is not defined from state {state!r}, where this timer runs")
            if "system" not in spec.roles:
                raise WorkflowDefinitionError(
                    source, f"{where}.fire.event",
                    f"event {event!r} from {state!r} does not allow the system role")
            if spec.reason_codes and fire.get("reason_code") not in spec.reason_codes:
                raise WorkflowDefinitionError(
                    source, f"{where}.fire.reason_code",
                    f"{event!r} needs a reason code, one of: {', '.join(spec.reason_codes)}")
            if spec.note_required and not fire.get("note"):
                raise WorkflowDefinitionError(source, f"{where}.fire.note",
                                              f"{event!r} needs a note")
            if spec.data_validator is not None and not spec.data_validator.is_valid({}):
                raise WorkflowDefinitionError(source, f"{where}.fire.event",
                                              f"{event!r} needs data, which a timer cannot give")
    if body.get("remind_before") and not body.get("notify"):
        raise WorkflowDefinitionError(source, f"{where}.remind_before",
                                      "reminders need someone to remind: add notify")
    if "offset" in body and "at" not in body:
        raise WorkflowDefinitionError(source, f"{where}.offset", "offset moves an `at` anchor")
    after = _setting_or_duration(source, f"{where}.after", body.get("after"), settings)
    offset = _setting_or_duration(source, f"{where}.offset", body.get("offset"), settings)
    by = dict(after) if isinstance(after, Mapping) else {}
    by_field = by.pop("by", None)
    return TimerSpec(
        name=name,
        states=frozenset(body["states"]),
        after=_duration(source, f"{where}.after", after) if isinstance(after, str) else None,
        after_by=by_field,
        after_by_value={value: _duration(source, f"{where}.after.{value}", text)
                        for value, text in by.items()},
        anchor=body.get("at"),
        offset=_duration(source, f"{where}.offset", offset) if offset is not None else None,
        event=event,
        reason_code=fire.get("reason_code"),
        note=fire.get("note"),
        remind_before=tuple(_duration(source, f"{where}.remind_before[{j}]", d)
                            for j, d in enumerate(body.get("remind_before", ()))),
        notify=tuple(body.get("notify", ())),
        description=body.get("description", ""),
        restart_on=frozenset(body.get("restart_on", ())),
    )
