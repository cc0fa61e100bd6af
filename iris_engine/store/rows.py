"""New table rows built as the ORM builds the rows it loads.

SQLModel's ``__init__`` for a table model routes every field through pydantic's and then
SQLAlchemy's ``__setattr__`` (attribute events, history): a grievance's 37 fields cost about
0.1 ms of CPU, a case event's 17 a third of that, on every filing and transition (issue #14).
``new_row`` fills the instance's ``__dict__`` at once, as SQLAlchemy does for a row it loads
from the database, with each field's default where none is given. What comes out is the same
object: attribute access, ``model_dump``, adding it to a session and flushing it, all as for
one built with ``Model(...)``. Neither path validates (a table model's ``__init__`` does not).
"""

from __future__ import annotations

import copy
import functools
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlmodel import SQLModel

__all__ = ["new_row"]

M = TypeVar("M", bound=SQLModel)


def new_row(model: type[M], **values: Any) -> M:
    """A new, transient instance of the table model ``model`` holding ``values``; a field not
    given takes its default (a ``default_factory`` is called for each row). A name that is not
    a field, or a required field left out, is a ``TypeError``, as a typo should be."""
    fields, required, defaults = _fields_of(model)
    unknown = values.keys() - fields
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    missing = required - values.keys()
    if missing:
        raise TypeError(f"{model.__name__} needs {', '.join(sorted(missing))}")
    row: M = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    held = row.__dict__
    for name, value, factory in defaults:
        if name not in values:
            held[name] = factory() if factory is not None else value
    held.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


@cache
def _fields_of(model: type[SQLModel]) -> tuple[frozenset[str], frozenset[str],
                                               tuple[tuple[str, Any, Any], ...]]:
    """The model's field names, those without a default, and the others' defaults."""
    if getattr(model, "_sa_class_manager", None) is None:
        raise TypeError(f"{model.__name__} is not a table model")
    if model.__pydantic_post_init__ or model.__sqlmodel_relationships__:
        raise TypeError(f"{model.__name__} has a post-init or relationships: build it with "
                        "its constructor")
    required = frozenset(name for name, field in model.model_fields.items()
                         if field.is_required())
    defaults = []
    for name, field in model.model_fields.items():
        if field.is_required():
            continue
        value = None if field.default is PydanticUndefined else field.default
        factory = field.default_factory
        if factory is None and not isinstance(value, _SHARED):  # a mutable default: a copy
            factory = functools.partial(copy.deepcopy, value)  # each, as pydantic gives
        defaults.append((name, value, factory))
    return frozenset(model.model_fields), required, tuple(defaults)


#: defaults one instance may share with another
_SHARED = (type(None), bool, int, float, str, bytes, tuple, frozenset, datetime, date,
           Decimal, Enum)
