"""A JSON Schema as a form, and the posted form read back into the document it describes.

One mechanism for every form the workspace generates: a transition's data (``forms``) and a
code of conduct's principle (the recruiter's self-assessment). Each property becomes a field
of the kind a person can fill in without knowing JSON:

- an object with properties: a group of fields (a fieldset);
- a list of objects (licences, findings, corrective action plans): rows, each a group, as many
  as there are items and one blank row more (a blank row is dropped when read back);
- a list of plain strings: one per line; a list of choices: checkboxes;
- a choice (``enum``), a date, a whole number, a number, a text; a ``boolean``: a checkbox;
  a ``const`` true or false: a yes/no question (the schema says which answer it needs);
- anything else (an object without properties, a list of lists): JSON, as a last resort.

Field names are the JSON pointer's segments joined with dots under a prefix
(``data.plans.0.action``), so an error's pointer finds its field (``key_of_pointer``).
Reading walks the schema, never the posted names: nothing the schema does not name is read.
Local ``$ref`` (``#/$defs/...``) is followed; a schema that names itself is not unrolled
forever (``_DEPTH``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from iris_engine import bounds
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm

__all__ = ["ADD_ROW", "ROWS", "DataField", "Shown", "build_fields", "humanise", "key_of_pointer",
           "keys_of", "offer", "read_fields", "rows_held", "rows_posted", "values_of", "walk"]

#: how deep a form may nest before the rest is a JSON field
_DEPTH = 6
#: the most rows a list of objects may post back
MAX_ROWS = 200
#: the hidden field that says how many rows a list of objects was shown with
ROWS = "rows"
#: a missing property, as jsonschema says it and as ``documents.codes.explain`` does
_REQUIRED_PROPERTY = re.compile(r"^'([^']+)' (?:is a required property$|is missing\.)")
_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,6})?")


def humanise(name: str) -> str:
    """``planned_on`` -> ``Planned on``: a name from a workflow file, as a label."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True, slots=True)
class DataField:
    """One property of a document, as a form field (a group or rows hold more of them)."""

    name: str
    #: the field's name in the posted form (a group's or rows' is its children's prefix)
    key: str
    #: text, date, number, decimal, choice, flag, yesno, many, lines, group, rows or json
    kind: str
    label: str
    hint: str
    required: bool
    #: a choice's or many's options as posted (text), and as the schema holds them
    options: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    #: a choice's options as a person reads them (``offer``), beside ``options``
    labels: tuple[str, ...] = ()
    #: a yes/no question's one acceptable answer (``const``), if the schema names one
    expected: bool | None = None
    #: a group's fields; rows: each row's fields (a tuple of groups)
    fields: tuple[DataField, ...] = ()

    @property
    def dom_id(self) -> str:
        return self.key.replace(".", "-")


def _resolve(schema: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """A schema with its local ``$ref`` followed (its own keywords, e.g. a description, win)."""
    if not isinstance(schema, Mapping):
        return {}
    resolved: Mapping[str, Any] = schema
    seen = 0
    while isinstance(resolved.get("$ref"), str) and resolved["$ref"].startswith("#/") and seen < 8:
        target: Any = root
        for part in resolved["$ref"][2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) \
                if isinstance(target, Mapping) else {}
        rest = {k: v for k, v in resolved.items() if k != "$ref"}
        resolved = {**(target if isinstance(target, Mapping) else {}), **rest}
        seen += 1
    return resolved


def _kind(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> str:
    kind = schema.get("type")
    items = _resolve(schema.get("items"), root) if isinstance(schema.get("items"), Mapping) else None
    if isinstance(schema.get("const"), bool):
        return "yesno"
    if "enum" in schema:
        return "choice"
    if depth >= _DEPTH:
        return "json"
    if kind == "string":
        return "date" if schema.get("format") == "date" else "text"
    if kind == "integer":
        return "number"
    if kind == "number":
        return "decimal"
    if kind == "boolean":
        return "flag"
    if kind == "object" and isinstance(schema.get("properties"), Mapping) and schema["properties"]:
        return "group"
    if kind == "array" and items is not None:
        if "enum" in items:
            return "many"
        if items.get("type") == "string":
            return "lines"
        if items.get("type") == "object" and items.get("properties"):
            return "rows"
    return "json"


def build_fields(schema: Mapping[str, Any] | None, prefix: str, *,
                 root: Mapping[str, Any] | None = None,
                 rows_of: Callable[[str], int] = lambda _key: 0, depth: int = 0
                 ) -> tuple[DataField, ...]:
    """The fields of an object schema's properties, named under ``prefix``. ``rows_of(key)``:
    how many rows a list of objects at ``key`` holds now (one blank row is added)."""
    root = root if root is not None else (schema or {})
    schema = _resolve(schema, root)
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return ()
    required = set(schema.get("required", ()))
    return tuple(_field(name, _resolve(sub, root), f"{prefix}.{name}", name in required, root,
                        rows_of, depth) for name, sub in properties.items())


def _field(name: str, schema: Mapping[str, Any], key: str, required: bool,
           root: Mapping[str, Any], rows_of: Callable[[str], int], depth: int) -> DataField:
    kind = _kind(schema, root, depth)
    hint = str(schema.get("description", ""))
    label = str(schema.get("title") or humanise(name))
    options: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()
    fields: tuple[DataField, ...] = ()
    if kind == "choice":
        values = tuple(schema["enum"])
    elif kind == "many":
        values = tuple(_resolve(schema["items"], root)["enum"])
    options = tuple(str(v) for v in values)
    if kind == "group":
        fields = build_fields(schema, key, root=root, rows_of=rows_of, depth=depth + 1)
    elif kind == "rows":
        item = _resolve(schema["items"], root)
        count = min(max(rows_of(key), 0), MAX_ROWS - 1) + 1
        fields = tuple(DataField(name=str(i), key=f"{key}.{i}", kind="group",
                                 label="", hint="", required=False,
                                 fields=build_fields(item, f"{key}.{i}", root=root,
                                                     rows_of=rows_of, depth=depth + 1))
                       for i in range(count))
    elif kind == "json":
        hint = (hint + " " if hint else "") + N_("Write it as JSON.")
    elif kind == "lines":
        hint = (hint + " " if hint else "") + N_("One per line.")
    return DataField(name=name, key=key, kind=kind, label=label, hint=hint, required=required,
                     options=options, values=values,
                     expected=schema["const"] if kind == "yesno" else None,
                     fields=fields)


def offer(fields: tuple[DataField, ...], choices: Mapping[str, list[tuple[Any, str]]]
          ) -> tuple[DataField, ...]:
    """The fields with each one named in ``choices`` (at any depth) a choice among its
    (value, label) pairs; read back, it is still the number or text the schema wants. Its
    hint, written for one who types an id, goes: the options say what to choose."""
    out = []
    for f in fields:
        if f.name in choices and f.kind in ("number", "text", "choice") and choices[f.name]:
            pairs = choices[f.name]
            f = replace(f, kind="choice", hint="", values=tuple(v for v, _ in pairs),
                        options=tuple(str(v) for v, _ in pairs),
                        labels=tuple(label for _, label in pairs))
        elif f.fields:
            f = replace(f, fields=offer(f.fields, choices))
        out.append(f)
    return tuple(out)


def walk(fields: tuple[DataField, ...]) -> Iterator[DataField]:
    """Every field, groups and rows before what they hold."""
    for f in fields:
        yield f
        yield from walk(f.fields)


def keys_of(fields: tuple[DataField, ...]) -> frozenset[str]:
    return frozenset(f.key for f in walk(fields))


# -- reading back ------------------------------------------------------------------------
def read_fields(form: PageForm, fields: tuple[DataField, ...]) -> dict[str, Any]:
    """The object the fields describe, from the posted form: only what was filled in (a
    draft may be incomplete; the schema says what is missing). A value that cannot be read
    (a date that is not one) goes to ``form.errors`` at its field and is left out."""
    document: dict[str, Any] = {}
    for f in fields:
        present, value = _read(form, f)
        if present:
            document[f.name] = value
    return document


def _entered(form: PageForm, fields: tuple[DataField, ...]) -> bool:
    """Whether anything was typed, chosen or ticked in these fields (an unticked box is not)."""
    return any(isinstance(v, str) and v.strip()
               for f in walk(fields) if f.kind not in ("group", "rows")
               for v in form.values.getall(f.key, []))


def _typed(text: str, f: DataField) -> Any:
    """A choice posted as text, back as the schema's own value (an enum may hold numbers)."""
    return next((v for v in f.values if str(v) == text), text)


def _read(form: PageForm, f: DataField) -> tuple[bool, Any]:
    if f.kind == "group":
        inner = read_fields(form, f.fields)
        return bool(inner), inner
    if f.kind == "rows":  # a row where nothing was typed or ticked is left out
        rows = [read_fields(form, row.fields) for row in f.fields if _entered(form, row.fields)]
        return bool(rows) or f.required, rows
    if f.kind == "flag":
        checked = form.flag(f.key)
        return checked or f.required, checked
    if f.kind == "many":
        picked = form.choices(f.key, frozenset(f.options))
        return bool(picked) or f.required, [_typed(v, f) for v in picked]
    if f.kind == "yesno":
        answer = form.values.get(f.key)
        if answer not in ("yes", "no"):
            return False, None
        return True, answer == "yes"
    long = f.kind in ("json", "lines")
    text = form.text(f.key, max_length=bounds.NOTE if long else 2000)
    if text is None:
        return False, None
    if f.kind == "lines":
        return True, [line.strip() for line in text.splitlines() if line.strip()]
    if f.kind == "choice":
        if text not in f.options:
            form.errors.append(FormError(f.key, N_("Choose from the options shown")))
            return False, None
        return True, _typed(text, f)
    if f.kind == "number":
        if not re.fullmatch(r"-?[0-9]{1,10}", text):
            form.errors.append(FormError(f.key, N_("Enter a whole number")))
            return False, None
        return True, int(text)
    if f.kind == "decimal":
        if not _DECIMAL.fullmatch(text):
            form.errors.append(FormError(f.key, N_("Enter a number, such as 125.50")))
            return False, None
        return True, int(text) if text.lstrip("-").isdigit() else float(text)
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


#: the button that asks for one more row of a list (its value: the list's key)
ADD_ROW = "add_row"


def rows_posted(form: PageForm) -> Callable[[str], int]:
    """How many rows each list of objects holds in the posted form: as many as it was shown
    with (the hidden ``<key>.rows``) less its blank one, one more if its "add a row" button
    was the one pressed."""
    def count(key: str) -> int:
        raw = form.values.get(f"{key}.{ROWS}")
        shown = min(int(raw), MAX_ROWS) if isinstance(raw, str) and raw.isdigit() else 1
        return max(shown - 1, 0) + (1 if form.values.get(ADD_ROW) == key else 0)
    return count


def rows_held(document: Any, prefix: str) -> Callable[[str], int]:
    """How many rows each list of objects holds in ``document`` (named under ``prefix``)."""
    def count(key: str) -> int:
        found: Any = document
        for part in key.removeprefix(prefix).strip(".").split("."):
            if isinstance(found, Mapping):
                found = found.get(part)
            elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
                found = found[int(part)]
            else:
                return 0
        return len(found) if isinstance(found, list) else 0
    return count


def values_of(fields: tuple[DataField, ...], document: Any) -> dict[str, Any]:
    """What a form shows for a stored document: each field's value as it would be posted
    (text, "yes"/"no", a list of checked options)."""
    shown: dict[str, Any] = {}

    def visit(fs: tuple[DataField, ...], value: Any) -> None:
        if not isinstance(value, Mapping):
            return
        for f in fs:
            if f.name not in value:
                continue
            v = value[f.name]
            if f.kind == "group":
                visit(f.fields, v)
            elif f.kind == "rows":
                for row, item in zip(f.fields, v if isinstance(v, list) else [], strict=False):
                    visit(row.fields, item)
            elif f.kind == "many":
                shown[f.key] = [str(x) for x in v] if isinstance(v, list) else []
            elif f.kind == "lines":
                shown[f.key] = "\n".join(str(x) for x in v) if isinstance(v, list) else ""
            elif f.kind in ("flag", "yesno"):
                shown[f.key] = "yes" if v is True else ("no" if v is False else "")
            elif f.kind == "json":
                shown[f.key] = json.dumps(v, ensure_ascii=False, indent=1)
            else:
                shown[f.key] = "" if v is None else str(v)

    visit(fields, document)
    return shown


def key_of_pointer(pointer: str, message: str, prefix: str, keys: frozenset[str]) -> str:
    """The field an error's JSON pointer (relative to the document) is about: the deepest
    field on its path, or a missing required property's own field; '' for the whole form."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] \
        if pointer.startswith("/") else []
    missing = _REQUIRED_PROPERTY.match(message)
    if missing:
        parts.append(missing.group(1))
    while parts:
        key = ".".join([prefix, *parts])
        if key in keys:
            return key
        parts.pop()
    return ""


class Shown:
    """What a generated form shows in its fields: the posted values after a refused post, or
    a stored document's (``values_of``), and each field's first problem."""

    def __init__(self, values: Any = None, errors: list[FormError] | None = None) -> None:
        self._values = values if values is not None else {}
        self._errors: dict[str, str] = {}
        for e in errors or []:
            self._errors.setdefault(e.field, e.message)

    def one(self, key: str) -> str:
        value = self._values.get(key, "")
        if isinstance(value, list):
            return str(value[0]) if value else ""
        return value if isinstance(value, str) else ""

    def all(self, key: str) -> list[str]:
        if hasattr(self._values, "getall"):
            return [v for v in self._values.getall(key, []) if isinstance(v, str)]
        value = self._values.get(key, [])
        return [str(v) for v in value] if isinstance(value, list) else []

    def error(self, key: str) -> str | None:
        return self._errors.get(key)
