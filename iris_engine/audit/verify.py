"""``iris audit verify``: the whole trail, checked in one snapshot.

1. every case's hash chain (an altered or missing event), and each personal note still held
   against the commitment its event hashes;
2. every case row against its chain (state, revision, head, assignee, workflow and version),
   and the chain against the workflow versions (each event a transition the version in force
   allows: the opening's, then each upgrade's);
3. every read model a domain declares, rebuilt from the events and compared with its table;
4. with an anchor, that every case and event it remembers is still there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.audit.anchors import Anchor
from iris_engine.audit.heads import anchor_departures
from iris_engine.audit.replay import event_versions, row_departures
from iris_engine.cases.audit import case_histories, chain_break, orphan_event_cases
from iris_engine.cases.notes import EventNotes
from iris_engine.domain import Domain
from iris_engine.workflow import WorkflowCatalog

__all__ = ["Finding", "TrailReport", "verify_trail"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One place where the trail, or what is built from it, was tampered with."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass(slots=True)
class TrailReport:
    cases: int = 0
    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    #: findings past ``limit``, counted but not kept
    more: int = 0
    #: the read models rebuilt and compared
    read_models: list[str] = field(default_factory=list)
    anchor: Anchor | None = None
    limit: int = 1000

    @property
    def intact(self) -> bool:
        return not self.findings

    def add(self, where: str, problems: Sequence[str]) -> None:
        for problem in problems:
            if len(self.findings) < self.limit:
                self.findings.append(Finding(where, problem))
            else:
                self.more += 1


async def verify_trail(session: AsyncSession, catalog: WorkflowCatalog,
                       domains: Sequence[Domain], *, notes: EventNotes | None = None,
                       anchor: Anchor | None = None, limit: int = 1000) -> TrailReport:
    """Check everything above; read in ``Database.snapshot`` (the reads come in batches).
    With ``notes`` (the vault's), each personal note still held is checked against the
    commitment its event hashes."""
    report = TrailReport(anchor=anchor, limit=limit)
    replays = [make() for domain in domains for make in domain.read_models]
    report.read_models = [r.name for r in replays]
    async for case, events in case_histories(session):
        report.cases += 1
        report.events += len(events)
        case_id = case.id or 0
        broken = chain_break(case_id, events, notes)
        if broken is not None:
            report.add(f"case {case_id}" + (f", event #{broken.seq} (row id {broken.event_id})"
                                            if broken.seq is not None else ""), [broken.reason])
        report.add(f"case {case_id}", row_departures(case, events, catalog))
        specs, _ = event_versions(case, events, catalog)
        if specs is None:  # an unknown version: reported by row_departures
            continue
        for replay in replays:
            if case.workflow in replay.workflows:
                replay.replay(case, events, specs)
    for case_id in await orphan_event_cases(session):
        report.add(f"case {case_id}", ["its events remain but its case row was deleted"])
    for replay in replays:
        report.add(f"read model {replay.name}", await replay.differences(session))
    if anchor is not None:
        report.add(f"anchor {anchor.seq}", await anchor_departures(session, anchor))
    return report
