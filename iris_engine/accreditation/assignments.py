"""An auditor's current assignments, for the staff directory (``iris_engine.people.directory``).

*Current* is read from the workflow, per version: an application assigned to the auditor is
current while its state is one where the auditor may act (audit_planned, audited,
corrective_action_review, surveillance), or one from which the case comes back to such a state
before anyone is assigned again (corrective_action: the auditor reviews the plan it brings). A
case referred for decision, decided, or whose surveillance audit is complete is no longer
current; a new assignment (``plan_audit``, ``start_surveillance``, ...) makes it current again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select
from sqlmodel import col

from iris_engine.accreditation.service import WORKFLOW
from iris_engine.people.directory import CurrentAssignment, Reach
from iris_engine.store.models import Case, CaseEvent, Organisation

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.workflow import WorkflowCatalog, WorkflowSpec

__all__ = ["ASSIGNEE_ROLE", "current_assignments", "states_awaiting"]

#: the role the accreditation workflow assigns cases to
ASSIGNEE_ROLE = "auditor"
#: the field of an assigning transition's data that holds the planned date
_PLANNED_ON = "planned_on"


def states_awaiting(spec: WorkflowSpec, role: str) -> frozenset[str]:
    """The states in which the assignee (holding ``role``) still has a part: those where
    ``role`` may fire an event, and those that lead back to one through transitions that do not
    assign the case anew. Final states never."""
    acting = {state for t in spec.transitions if role in t.roles for state in t.sources}
    leads_to: dict[str, set[str]] = {}  # destination -> sources, over non-assigning moves
    for t in spec.transitions:
        if t.assign is None and t.dest is not None:
            leads_to.setdefault(t.dest, set()).update(t.sources)
    found, frontier = set(acting), list(acting)
    while frontier:
        for source in leads_to.get(frontier.pop(), ()):
            if source not in found:
                found.add(source)
                frontier.append(source)
    return frozenset(s for s in found if not spec.states[s].final)


def _planned_on(data: object) -> date | None:
    value = data.get(_PLANNED_ON) if isinstance(data, dict) else None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


async def current_assignments(session: AsyncSession, catalog: WorkflowCatalog,
                              user_ids: Sequence[int], reach: Reach,
                              ) -> list[tuple[int, CurrentAssignment]]:
    """Applications assigned to ``user_ids`` that are current (above), among those ``reach``
    selects, with the date planned when each was last assigned."""
    if not user_ids or WORKFLOW not in catalog.names():
        return []
    specs = [catalog.machine(name, version).spec for name, version in catalog.versions()
             if name == WORKFLOW]
    in_current_state = or_(*(
        and_(col(Case.workflow_version) == spec.version,
             col(Case.state).in_(sorted(states_awaiting(spec, ASSIGNEE_ROLE))))
        for spec in specs))
    rows = (await session.execute(
        select(Case, col(Organisation.name))
        .outerjoin(Organisation, col(Organisation.id) == col(Case.organisation_id))
        .where(col(Case.workflow) == WORKFLOW, col(Case.assignee_id).in_(list(user_ids)),
               in_current_state, reach(WORKFLOW))
        .order_by(col(Case.id)))).all()
    if not rows:
        return []
    assigning = sorted({t.event for spec in specs for t in spec.transitions if t.assign})
    planned: dict[int, date | None] = {}
    # the last assigning event of each case says what was planned (oldest first: last wins)
    for case_id, data in (await session.execute(
            select(col(CaseEvent.case_id), col(CaseEvent.data))
            .where(col(CaseEvent.case_id).in_([case.id for case, _name in rows]),
                   col(CaseEvent.event).in_(assigning))
            .order_by(col(CaseEvent.case_id), col(CaseEvent.seq)))).all():
        planned[case_id] = _planned_on(data)
    return [(case.assignee_id or 0,
             CurrentAssignment(case_id=case.id or 0, workflow=WORKFLOW, state=case.state,
                               organisation_id=case.organisation_id, organisation_name=name,
                               planned_on=planned.get(case.id or 0)))
            for case, name in rows]
