"""Named guards and effects: workflow files reference behaviour by name, Python registers it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Actor", "HookRegistry", "TransitionContext", "TransitionInput"]


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


@dataclass(slots=True)
class TransitionContext:
    """What a guard or effect may look at. ``session`` and ``case`` come from the store layer;
    the engine itself never touches them."""

    case: Any
    detail: Any
    actor: Actor
    request: TransitionInput
    source: str
    dest: str
    now: datetime
    session: Any
    workflow_settings: dict[str, Any]
    services: Any = None
    #: filled by effects for the audit event (e.g. the LRN assigned)
    outcome: dict[str, Any] = field(default_factory=dict)


Guard = Callable[[TransitionContext], Awaitable[str | None]]
Effect = Callable[[TransitionContext], Awaitable[None]]
DetailLoader = Callable[[Any, Any], Awaitable[Any]]
#: answers the moment a timer is anchored to (e.g. the end of a certificate), or None
Anchor = Callable[[TransitionContext], Awaitable[datetime | None]]


class HookRegistry:
    """Guards answer ``None`` when satisfied, or a sentence saying what is missing."""

    def __init__(self) -> None:
        self.guards: dict[str, Guard] = {}
        self.effects: dict[str, Effect] = {}
        #: guards that judge the event's data; skipped when listing what may fire next
        self.input_guards: set[str] = set()
        #: per workflow: loads the case's detail row (with the case already locked)
        self.details: dict[str, DetailLoader] = {}
        #: named moments a timer can be due at (``at:`` in a workflow file)
        self.anchors: dict[str, Anchor] = {}

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

    def detail(self, workflow: str) -> Callable[[DetailLoader], DetailLoader]:
        def register(fn: DetailLoader) -> DetailLoader:
            self.details[workflow] = fn
            return fn

        return register


def _registrar(table: dict[str, Any], kind: str, name: str) -> Callable[[Any], Any]:
    """A decorator that files a hook under ``name``, refusing a second one with that name."""

    def register(fn: Any) -> Any:
        if name in table:
            raise ValueError(f"{kind} {name!r} registered twice")
        table[name] = fn
        return fn

    return register
