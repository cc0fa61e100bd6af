"""A `transitions` machine per workflow version: the single source of what may fire when.

`transitions` cannot decorate our table rows, so one shared machine is built per version with
``model=None`` and fired on a throwaway token that carries only the state.
"""

from __future__ import annotations

from transitions import Machine
from transitions.extensions import GraphMachine

from iris_engine.workflow.spec import WorkflowSpec

__all__ = ["WorkflowMachine"]


class _Token:
    """The only thing the machine sees of a case: its state."""

    def __init__(self, state: str) -> None:
        self.state = state


class WorkflowMachine:
    def __init__(self, spec: WorkflowSpec) -> None:
        self.spec = spec
        self._machine = Machine(
            model=None,
            states=list(spec.states),
            transitions=self._transition_dicts(drawing=False),
            initial=spec.initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )

    def _transition_dicts(self, *, drawing: bool) -> list[dict[str, object]]:
        """A ``back_from`` transition has no fixed destination: the machine that fires keeps
        the state (the engine reads where to go back to from the case's events), the diagram
        draws an edge to every state it may return to."""
        out: list[dict[str, object]] = []
        for t in self.spec.transitions:
            dests = t.back_to if t.back_from and drawing else (t.dest,)
            out += [{"trigger": t.event, "source": list(t.sources), "dest": d} for d in dests]
        return out

    def allowed_events(self, state: str) -> list[str]:
        """Events defined from ``state``, in definition order."""
        return list(self._machine.get_triggers(state))

    def can_fire(self, state: str, event: str) -> bool:
        ev = self._machine.events.get(event)
        return ev is not None and state in ev.transitions

    def fire(self, state: str, event: str) -> str:
        """Return the state ``event`` leads to from ``state``; the caller checked ``can_fire``
        (for a ``back_from`` transition: ``state`` itself, the engine knows where it goes)."""
        token = _Token(state)
        self._machine.events[event].trigger(token)
        return token.state

    def mermaid(self) -> str:
        """A Mermaid state diagram drawn from the same definition."""
        holder = _Token(self.spec.initial)
        GraphMachine(
            model=holder,
            states=list(self.spec.states),
            transitions=self._transition_dicts(drawing=True),
            initial=self.spec.initial,
            auto_transitions=False,
            graph_engine="mermaid",
            title=f"{self.spec.title} (v{self.spec.version})",
            show_state_attributes=False,
        )
        return str(holder.get_graph().draw(None))  # type: ignore[attr-defined]
