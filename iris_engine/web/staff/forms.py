"""A transition as a form, generated from what the engine says may fire now
(``AvailableTransition``) and its workflow file: the reason codes as a choice, the note, one
field per property of its data's JSON Schema (``schema_form``: a list of findings is rows of
fields, a choice a select). The posted form is read back into the ``TransitionRequest`` the
API takes; the engine validates it as it validates the API's, and its errors (JSON pointers)
are shown at the fields they point to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import msgspec

from iris_engine import bounds
from iris_engine.cases.schemas import AvailableTransition, TransitionRequest
from iris_engine.errors import FieldError
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm
from iris_engine.web.staff.schema_form import (
    DataField,
    build_fields,
    humanise,
    key_of_pointer,
    keys_of,
    read_fields,
    rows_posted,
)

__all__ = ["DataField", "TransitionForm", "field_of_pointer", "humanise", "read_transition",
           "transition_forms"]

#: the form's own fields, beside ``data.<property>``
NOTE, REASON, REVISION, EVENT = "note", "reason_code", "expected_revision", "event"


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


def transition_forms(available: Sequence[AvailableTransition],
                     reason_meanings: Mapping[str, str], descriptions: Mapping[str, str], *,
                     posted: PageForm | None = None, failed: str | None = None
                     ) -> list[TransitionForm]:
    """Each transition the caller may fire now, as a form. ``reason_meanings`` and
    ``descriptions`` (per event) come from the workflow file; ``posted`` is the form of the
    ``failed`` event, shown again with the rows it had."""
    return [TransitionForm(
        event=t.event, label=humanise(t.event), description=descriptions.get(t.event, ""),
        to=t.to, as_role=t.as_role,
        reason_codes=tuple((code, reason_meanings.get(code, "")) for code in t.reason_codes),
        note_required=t.note_required, personal_note=t.personal_note,
        fields=build_fields(t.data_schema, "data", rows_of=rows_posted(posted)
                            if posted is not None and t.event == failed else lambda _key: 0),
        blocked_by=tuple(b.get("message") or b.get("guard", "") for b in t.blocked_by),
    ) for t in available]


def read_transition(form: PageForm, transition: TransitionForm) -> TransitionRequest | None:
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
    data = read_fields(form, transition.fields)
    # a required field left empty is said at it before anything is asked of the engine (a
    # draft's form, e.g. a self-assessment, is saved incomplete and has no such check)
    form.errors.extend(FormError(f.key, N_("Fill this in")) for f in transition.fields
                       if f.required and f.name not in data and not form.error_for(f.key)
                       and f.kind not in ("group", "rows"))
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
    if pointer == "/data" or pointer.startswith("/data/"):
        return key_of_pointer(pointer.removeprefix("/data"), error.message, "data",
                              keys_of(transition.fields))
    return ""
