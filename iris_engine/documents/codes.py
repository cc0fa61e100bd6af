"""Codes of conduct as data: JSON Schemas per principle, compiled once, with errors a
recruiter can act on (principle, JSON pointer, plain message)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

from iris_engine.errors import FieldError, NotFound, WorkflowDefinitionError

__all__ = ["CodeLibrary", "CodeOfConduct", "explain", "pointer_of"]


def pointer_of(path: Iterable[Any]) -> str:
    """RFC 6901 pointer for a jsonschema ``absolute_path``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@lru_cache(maxsize=256)
def _schema_problem(text: str) -> str | None:
    """What is wrong with a JSON Schema file's text (None: a valid Draft 2020-12 schema),
    checked once per process for the same text (the check is most of loading a code)."""
    try:
        Draft202012Validator.check_schema(json.loads(text))
    except Exception as exc:
        return str(exc).split("\n")[0]
    return None


@dataclass(frozen=True, slots=True)
class Principle:
    id: str
    title: str
    schema_file: str


class CodeOfConduct:
    """One version of one code: its schemas and the compiled envelope validator."""

    def __init__(self, folder: Path) -> None:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        self.folder = folder
        self.code: str = manifest["code"]
        self.version: str = manifest["version"]
        self.title: str = manifest.get("title", self.code)
        self.principles = [Principle(p["id"], p["title"], p["schema"]) for p in manifest["principles"]]
        self.envelope_file: str = manifest["envelope"]
        self.schemas: dict[str, dict[str, Any]] = {}
        for name in [self.envelope_file, *(p.schema_file for p in self.principles)]:
            text = (folder / name).read_text(encoding="utf-8")
            problem = _schema_problem(text)
            if problem is not None:
                raise WorkflowDefinitionError(str(folder / name), "", problem)
            self.schemas[name] = json.loads(text)
        registry: Registry[Any] = Registry().with_resources(
            (s["$id"], Resource.from_contents(s)) for s in self.schemas.values()
        )
        self._validator = Draft202012Validator(
            self.schemas[self.envelope_file],
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    @property
    def key(self) -> str:
        return f"{self.code}/{self.version}"

    def validate(self, document: Any, *, base_pointer: str = "") -> list[FieldError]:
        """Every error in ``document``, sorted by pointer; empty when it conforms."""
        errors = [self._field_error(e, base_pointer) for e in self._validator.iter_errors(document)]
        return sorted(errors, key=lambda e: (e.pointer, e.message))

    def _field_error(self, error: ValidationError, base: str) -> FieldError:
        path = list(error.absolute_path)
        principle = str(path[1]) if len(path) >= 2 and path[0] == "principles" else None
        return FieldError(base + pointer_of(path), explain(error), principle)

    def summary(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "title": self.title,
            "envelope": self.envelope_file,
            "principles": [
                {"id": p.id, "title": p.title, "schema": p.schema_file} for p in self.principles
            ],
        }


def explain(error: ValidationError) -> str:
    """Turn a validator error into a sentence: what is wrong and what the field wants."""
    hint = error.schema.get("description") if isinstance(error.schema, Mapping) else None
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        props = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        wanted = props.get(missing, {}).get("description") if isinstance(props, Mapping) else None
        return f"'{missing}' is missing." + (f" Provide: {wanted}" if wanted else "")
    if validator == "additionalProperties":
        return f"{error.message}. Remove it or check its spelling."
    if validator == "const":
        base = f"must be {json.dumps(error.validator_value)}, not {json.dumps(error.instance)}."
    elif validator == "format":
        base = f"{json.dumps(error.instance)} is not a valid {error.validator_value}."
    elif validator == "minItems" and error.validator_value == 1:
        base = "must list at least one entry."
    else:
        base = error.message[0].upper() + error.message[1:] + "."
    return base + (f" {hint}" if hint else "")


class CodeLibrary:
    """All codes of conduct found under a folder (``<code>/<version>/manifest.json``)."""

    def __init__(self, folder: Path) -> None:
        self._codes: dict[str, CodeOfConduct] = {}
        for manifest in sorted(folder.glob("*/*/manifest.json")):
            code = CodeOfConduct(manifest.parent)
            self._codes[code.key] = code

    def __iter__(self) -> Any:
        return iter(self._codes.values())

    def get(self, key: str) -> CodeOfConduct:
        found = self._codes.get(key)
        if found is None:
            raise NotFound(f"no code of conduct {key!r}; known: {', '.join(self._codes) or 'none'}")
        return found
