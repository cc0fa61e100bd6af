"""Reading a case's history the way ``to: {back_from: [...]}`` needs: which event brought the
case into a set of states, and so where it was before.

A transition that went back (an upheld appeal, a rescinded withdrawal) resumes a stay that
began earlier: it is not where that stay began. So when the event that entered the set is
such a return, the search goes on before the event it undid. Pure: it reads events as plain
objects (``event``, ``from_state``, ``to_state``), so the engine and ``iris audit verify``
share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from iris_engine.workflow.spec import WorkflowSpec

__all__ = ["entering_index"]


class EventLike(Protocol):
    @property
    def event(self) -> str: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str: ...


E = TypeVar("E", bound=EventLike)


def entering_index(events: Sequence[E], states: frozenset[str], spec: WorkflowSpec) -> int | None:
    """The index of the event that began the case's current stay in ``states`` (its
    ``from_state`` is where the case was before), or None when no event did."""
    i = len(events) - 1
    while i >= 0:
        e = events[i]
        if e.to_state in states and e.from_state is not None and e.from_state not in states:
            went_back = spec.transition(e.event, e.from_state)
            if went_back is None or not went_back.back_from:
                return i
            undone = entering_index(events[:i], went_back.back_from, spec)
            if undone is None:
                return None
            i = undone  # the case was in the state it returned to until this event
        i -= 1
    return None
