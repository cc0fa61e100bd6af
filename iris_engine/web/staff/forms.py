"""A transition as a form, generated from what the engine says may fire now
(``AvailableTransition``) and its workflow file: the reason codes as a choice, the note, one
field per property of its data's JSON Schema. The posted form is read back into the
``TransitionRequest`` the API takes; the engine validates it as it validates the API's, and
its errors (JSON pointers) are shown at the fields they point to.

A property of a kind a plain field cannot hold (an object, a list of objects) is a JSON text
area: every transition can be fired from its page, if not yet comfortably.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from iris_engine import bounds
from iris_engine.cases.schemas import AvailableTransition, TransitionRequest
from iris_engine.errors import FieldError
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm

__all__ = ["DataField", "TransitionForm", "field_of_pointer", "humanise", "read_transition",
           "transition_forms"]

#: the form's own fields, beside ``data.<property>``
NOTE, REASON, REVISION, EVENT = "note", "reason_code", "expected_revision", "event"
_REQUIRED_PROPERTY = re.compile(r"^'([^']+)' is a required property$")


def humanise(name: str) -> str:
    """``planned_on`` -> ``Planned on``: a name from a workflow file, as a label."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True, slots=True)
class DataField:
    """One property of a transition's data, as a form field."""

    name: str
    #: text, date, number, choice, flag, many (a list of choices) or json
    kind: str
    label: str
    hint: str
    required: bool
    options: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The field's name in the posted form."""
        return f"data.{self.name}"


@dataclass(frozen=True, slots=True)
class TransitionForm:
    """What may fire now, as the case page shows it."""

    event: str
    label: str
    description: str
    to: str
    as_role: str
    #: (code, what it means)
    reason_codes: tuple[tuple[str, str], ...]
    note_required: bool
    personal_note: bool
    fields: tuple[DataField, ...]
    #: why it cannot fire now (a guard's message each); a blocked transition has no button
    blocked_by: tuple[str, ...]

    def field(self, name: str) -> DataField | None:
        return next((f for f in self.fields if f.name == name), None)


def _data_field(name: str, schema: Mapping[str, Any], required: bool) -> DataField:
    kind, options = "json", tuple[str, ...]()
    items = schema.get("items") if isinstance(schema.get("items"), Mapping) else None
    if "enum" in schema:
        kind, options = "choice", tuple(str(v) for v in schema["enum"])
    elif schema.get("type") == "string":
        kind = "date" if schema.get("format") == "date" else "text"
    elif schema.get("type") == "integer":
        kind = "number"
    elif schema.get("type") == "boolean":
        kind = "flag"
    elif schema.get("type") == "array" and items is not None and "enum" in items:
        kind, options = "many", tuple(str(v) for v in items["enum"])
    hint = str(schema.get("description", ""))
    if kind == "json":
        hint = (hint + " " if hint else "") + N_("Write it as JSON.")
    return DataField(name=name, kind=kind, label=str(schema.get("title") or humanise(name)),
                     hint=hint, required=required, options=options)


def _fields(schema: Mapping[str, Any] | None) -> tuple[DataField, ...]:
    if not schema:
        return ()
    required = set(schema.get("required", ()))
    properties = schema.get("properties") or {}
    return tuple(_data_field(name, sub if isinstance(sub, Mapping) else {}, name in required)
                 for name, sub in properties.items())


def transition_forms(available: Sequence[AvailableTransition],
                     reason_meanings: Mapping[str, str],
                     descriptions: Mapping[str, str]) -> list[TransitionForm]:
    """Each transition the caller may fire now, as a form. ``reason_meanings`` and
    ``descriptions`` (per event) come from the workflow file."""
    return [TransitionForm(
        event=t.event, label=humanise(t.event), description=descriptions.get(t.event, ""),
        to=t.to, as_role=t.as_role,
        reason_codes=tuple((code, reason_meanings.get(code, "")) for code in t.reason_codes),
        note_required=t.note_required, personal_note=t.personal_note,
        fields=_fields(t.data_schema),
        blocked_by=tuple(b.get("message") or b.get("guard", "") for b in t.blocked_by),
    ) for t in available]


def _value(form: PageForm, f: DataField) -> tuple[bool, Any]:
    """The property's value as the schema wants it: (present, value); a problem goes to
    ``form.errors`` at the field."""
    if f.kind == "flag":
        checked = form.flag(f.key)
        return (checked or f.required), checked
    if f.kind == "many":
        picked = form.choices(f.key, frozenset(f.options))
        return bool(picked) or f.required, picked
    text = form.text(f.key, required=f.required, max_length=bounds.NOTE if f.kind == "json"
                     else 2000, required_message=N_("Fill this in"))
    if text is None:
        return False, None
    if f.kind == "choice":
        if text not in f.options:
            form.errors.append(FormError(f.key, N_("Choose from the options shown")))
            return False, None
        return True, text
    if f.kind == "number":
        if not re.fullmatch(r"-?[0-9]{1,10}", text):
            form.errors.append(FormError(f.key, N_("Enter a whole number")))
            return False, None
        return True, int(text)
    if f.kind == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            form.errors.append(FormError(f.key, N_("Enter a date as YYYY-MM-DD")))
            return False, None
        return True, text
    if f.kind == "json":
        try:
            return True, json.loads(text)
        except (ValueError, RecursionError):
            form.errors.append(FormError(f.key, N_("This is not valid JSON")))
            return False, None
    return True, text


def _choice_values(schema: Mapping[str, Any] | None, name: str) -> list[Any]:
    sub = (schema or {}).get("properties", {}).get(name, {})
    enum = sub.get("enum") if "enum" in sub else (sub.get("items") or {}).get("enum", [])
    return list(enum or [])


def _typed_choice(value: Any, enum: list[Any]) -> Any:
    """A choice posted as text, back as the enum's own value (an enum may hold numbers)."""
    return next((v for v in enum if str(v) == value), value)


def read_transition(form: PageForm, transition: TransitionForm,
                    data_schema: Mapping[str, Any] | None) -> TransitionRequest | None:
    """The request the form asks for, or None with ``form.errors`` saying why."""
    revision = form.values.get(REVISION)
    if not isinstance(revision, str) or not re.fullmatch(r"[0-9]{1,10}", revision):
        form.errors.append(FormError("", N_("The form was not complete. Reload the page.")))
        return None
    note = form.text(NOTE, required=transition.note_required, max_length=bounds.NOTE,
                     required_message=N_("Write a note"))
    reason = None
    if transition.reason_codes:
        reason = form.text(REASON, required=True, max_length=bounds.NAME,
                           required_message=N_("Choose a reason"))
        if reason is not None and reason not in dict(transition.reason_codes):
            form.errors.append(FormError(REASON, N_("Choose from the options shown")))
    data: dict[str, Any] = {}
    for f in transition.fields:
        present, value = _value(form, f)
        if present:
            enum = _choice_values(data_schema, f.name) if f.kind in ("choice", "many") else []
            if f.kind == "choice":
                value = _typed_choice(value, enum)
            elif f.kind == "many":
                value = [_typed_choice(v, enum) for v in value]
            data[f.name] = value
    if form.errors:
        return None
    try:
        return msgspec.convert({"event": transition.event, "expected_revision": int(revision),
                                "reason_code": reason, "note": note, "data": data},
                               TransitionRequest)
    except msgspec.ValidationError as exc:
        form.errors.append(FormError("", str(exc)))
        return None


def field_of_pointer(error: FieldError, transition: TransitionForm) -> str:
    """The form field an engine error points to ('' for the form as a whole)."""
    pointer = error.pointer
    if pointer in ("/note", "/reason_code"):
        return pointer[1:]
    if pointer == "/data":
        missing = _REQUIRED_PROPERTY.match(error.message)
        if missing and transition.field(missing.group(1)):
            return f"data.{missing.group(1)}"
        return ""
    if pointer.startswith("/data/"):
        name = pointer.split("/")[2].replace("~1", "/").replace("~0", "~")
        return f"data.{name}" if transition.field(name) else ""
    return ""
