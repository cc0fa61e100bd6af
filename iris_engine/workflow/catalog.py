"""Every workflow version found in a folder, with its machine, ready for the case engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from iris_engine.errors import NotFound, WorkflowDefinitionError
from iris_engine.workflow.hooks import HookRegistry
from iris_engine.workflow.machine import WorkflowMachine
from iris_engine.workflow.spec import SCOPES, WorkflowSpec, load_workflow_file

__all__ = ["WorkflowCatalog"]


class WorkflowCatalog:
    def __init__(self, specs: Iterable[WorkflowSpec]) -> None:
        self._machines: dict[tuple[str, int], WorkflowMachine] = {}
        self._latest: dict[str, int] = {}
        for spec in specs:
            if spec.key in self._machines:
                other = self._machines[spec.key].spec.source
                raise WorkflowDefinitionError(
                    spec.source, "version", f"{spec.name} v{spec.version} is also defined in {other}"
                )
            self._machines[spec.key] = WorkflowMachine(spec)
            self._latest[spec.name] = max(spec.version, self._latest.get(spec.name, 0))

    @classmethod
    def from_dir(cls, folder: Path) -> WorkflowCatalog:
        """Load ``*.yaml`` under ``folder`` (older versions may live in sub-folders)."""
        if not folder.is_dir():
            raise WorkflowDefinitionError(str(folder), "", "workflow folder not found")
        return cls(load_workflow_file(p) for p in sorted(folder.rglob("*.yaml")))

    def names(self) -> list[str]:
        return sorted(self._latest)

    def versions(self) -> list[tuple[str, int]]:
        return sorted(self._machines)

    def machine(self, name: str, version: int | None = None) -> WorkflowMachine:
        if version is None:
            version = self._latest.get(name)
        found = self._machines.get((name, version)) if version is not None else None
        if found is None:
            raise NotFound(f"no workflow {name!r}" + (f" version {version}" if version else ""))
        return found

    def access(self, name: str) -> Mapping[str, str]:
        """Role -> scope for the cases of workflow ``name``, from its latest version: who may
        see a case is today's policy, whichever version the case runs on."""
        return self.machine(name).spec.access

    def roles(self) -> list[str]:
        """Every role some workflow gives access to: the roles a user account may hold, except
        those that reach only the one case a credential opens (a complainant's code)."""
        return sorted({role for name in self._latest for role, scope in self.access(name).items()
                       if scope != "case"})

    def unresolved_hooks(self, hooks: HookRegistry) -> list[str]:
        """Guard, effect, anchor and scope names used by some workflow that no Python code
        registered."""
        missing = []
        for machine in self._machines.values():
            spec = machine.spec
            missing += [f"{spec.source}: access.{role}: scope {scope!r}"
                        for role, scope in spec.access.items()
                        if scope not in SCOPES and scope not in hooks.scopes]
            for i, t in enumerate(spec.transitions):
                missing += [
                    f"{spec.source}: transitions[{i}] ({t.event}): guard {g!r}"
                    for g in t.guards if g not in hooks.guards
                ]
                missing += [
                    f"{spec.source}: transitions[{i}] ({t.event}): effect {e!r}"
                    for e in t.effects if e not in hooks.effects
                ]
            for name, timer in spec.timers.items():
                if timer.anchor and timer.anchor not in hooks.anchors:
                    missing.append(f"{spec.source}: timers.{name}: anchor {timer.anchor!r}")
        return missing
