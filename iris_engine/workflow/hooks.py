"""Named guards and effects: workflow files reference behaviour by name, Python registers it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from iris_engine.workflow.spec import SCOPES

__all__ = ["Actor", "HookRegistry", "NamedScope", "Resources", "TransitionInput"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who fires an event, and in which role (one of the user's roles the transition allows)."""

    user_id: int | None
    role: str
    organisation_id: int | None = None
    roles: frozenset[str] = frozenset()

    @property
    def is_system(self) -> bool:
        return self.role == "system"


@dataclass(frozen=True, slots=True)
class TransitionInput:
    event: str
    expected_revision: int
    reason_code: str | None = None
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Resources:
    """The long-lived objects hooks may use (settings, a code library, a cache), looked up by
    type: a hook asks for what it needs, and a test hands it only that."""

    def __init__(self, *objects: object) -> None:
        self._objects = list(objects)

    def add(self, *objects: object) -> None:
        self._objects.extend(objects)

    def get(self, kind: type[T]) -> T:
        for obj in self._objects:
            if isinstance(obj, kind):
                return obj
        raise LookupError(f"no {kind.__name__} among the resources given to hooks")

    def all(self, kind: type[T]) -> list[T]:
        return [obj for obj in self._objects if isinstance(obj, kind)]


# a hook takes the engine's TransitionContext (iris_engine.cases.context); this pure package
# does not know its store-level fields, so the registry types the argument loosely
#: answers nothing when satisfied, or raises ``iris_engine.errors.Refusal`` saying what is missing
Guard = Callable[[Any], Awaitable[None]]
Effect = Callable[[Any], Awaitable[None]]
DetailLoader = Callable[[Any, Any], Awaitable[Any]]
#: answers the moment a timer is anchored to (e.g. the end of a certificate), or None
Anchor = Callable[[Any], Awaitable[datetime | None]]
#: (the workflow's settings, the caller) -> a SQL condition on the columns of a named scope's
#: table. The caller has ``user_id`` and ``organisation_id``: one caller's values, or the
#: columns of ``app_user`` when the access layer asks which users a case reaches (who is told)
ScopeCondition = Callable[[Mapping[str, Any], Any], Any]


@dataclass(frozen=True, slots=True)
class NamedScope:
    """A scope a domain defines over its workflow's detail table, named in a workflow file's
    ``access`` section (``scheme_manager: last_tier``): a role given it reaches the cases whose
    detail row meets ``where`` (built from the workflow's settings and the caller, e.g. a
    partner organisation reaches the cases shared with it). The access layer uses the one
    condition to filter lists, to check a single case and to find who is told, so the three
    cannot disagree."""

    name: str
    #: the detail table the condition reads; its ``case_id`` is the case's id
    table: Any
    where: ScopeCondition


class HookRegistry:
    """Named guards, effects, anchors, scopes and detail loaders. A guard answers nothing when
    its condition holds and raises ``Refusal`` (``iris_engine.errors``) when it does not."""

    def __init__(self) -> None:
        self.guards: dict[str, Guard] = {}
        self.effects: dict[str, Effect] = {}
        #: guards that judge the event's data; skipped when listing what may fire next
        self.input_guards: set[str] = set()
        #: per workflow: loads the case's detail row (with the case already locked)
        self.details: dict[str, DetailLoader] = {}
        #: named moments a timer can be due at (``at:`` in a workflow file)
        self.anchors: dict[str, Anchor] = {}
        #: named scopes a workflow's ``access`` section may give a role
        self.scopes: dict[str, NamedScope] = {}

    def guard(self, name: str, *, reads_input: bool = False) -> Callable[[Guard], Guard]:
        file = _registrar(self.guards, "guard", name)

        def register(fn: Guard) -> Guard:
            file(fn)
            if reads_input:
                self.input_guards.add(name)
            return fn

        return register

    def effect(self, name: str) -> Callable[[Effect], Effect]:
        return _registrar(self.effects, "effect", name)

    def anchor(self, name: str) -> Callable[[Anchor], Anchor]:
        return _registrar(self.anchors, "anchor", name)

    def scope(self, name: str, *, table: Any) -> Callable[[ScopeCondition], ScopeCondition]:
        """Register ``where`` (settings -> SQL condition on ``table``) as the scope ``name``."""
        if name in SCOPES:
            raise ValueError(f"scope {name!r} is built in; give the domain's scope its own name")
        file = _registrar(self.scopes, "scope", name)

        def register(where: ScopeCondition) -> ScopeCondition:
            file(NamedScope(name, table, where))
            return where

        return register

    @classmethod
    def merged(cls, *registries: HookRegistry) -> HookRegistry:
        """One registry holding every hook of ``registries``; a name two of them use is refused."""
        out = cls()
        for registry in registries:
            for kind, table in (("guard", "guards"), ("effect", "effects"), ("anchor", "anchors"),
                                ("scope", "scopes"), ("detail loader", "details")):
                for name, fn in getattr(registry, table).items():
                    _registrar(getattr(out, table), kind, name)(fn)
            out.input_guards |= registry.input_guards
        return out

    def detail(self, workflow: str) -> Callable[[DetailLoader], DetailLoader]:
        return _registrar(self.details, "detail loader", workflow)


def _registrar(table: dict[str, Any], kind: str, name: str) -> Callable[[Any], Any]:
    """A decorator that files a hook under ``name``, refusing a second one with that name."""

    def register(fn: Any) -> Any:
        if name in table:
            raise ValueError(f"{kind} {name!r} registered twice")
        table[name] = fn
        return fn

    return register
