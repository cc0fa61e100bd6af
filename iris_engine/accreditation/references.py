"""An organisation's one reference number (LRN) and its one live application.

The LRN is drawn once, the first time one of the organisation's cases is accredited, and kept
for good; an organisation has at most one accreditation case that is not in a final state
(the workflow file's ``final`` flags say which), so a second application is refused with a
link to the case under way and what the recruiter can do there instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.accreditation.models import Accreditation, RecruiterReference
from iris_engine.accreditation.windows import recertification_opens, restoration_ends
from iris_engine.errors import Conflict
from iris_engine.store.counters import next_counter
from iris_engine.store.models import Case, Organisation

if TYPE_CHECKING:
    from collections.abc import Mapping

    from iris_engine.workflow import WorkflowCatalog, WorkflowSpec

__all__ = ["ApplicationUnderWay", "live_case", "lock_organisation", "reference_for",
           "refuse_second_application"]


class ApplicationUnderWay(Conflict):
    """The organisation already has an accreditation case that is not final."""

    title = "An application is already under way"
    slug = "application-under-way"


async def lock_organisation(session: AsyncSession, organisation_id: int) -> None:
    """Hold the organisation's row until commit: two opens by one organisation queue here
    (PostgreSQL: the row lock; SQLite: the write transaction, already one at a time)."""
    await session.execute(select(col(Organisation.id)).where(
        col(Organisation.id) == organisation_id).with_for_update())


async def live_case(session: AsyncSession, catalog: WorkflowCatalog, workflow: str,
                    organisation_id: int) -> Case | None:
    """The organisation's case of ``workflow`` that is not in a final state of the version
    it runs on (the newest, should there be more than one from before this rule)."""
    cases = (await session.scalars(
        select(Case).where(col(Case.workflow) == workflow,
                           col(Case.organisation_id) == organisation_id)
        .order_by(col(Case.id).desc()))).all()
    for case in cases:
        spec = catalog.machine(case.workflow, case.workflow_version).spec
        state = spec.states.get(case.state)
        if state is None or not state.final:
            return case
    return None


async def refuse_second_application(session: AsyncSession, catalog: WorkflowCatalog,
                                    workflow: str, organisation_id: int, today: date) -> None:
    """Raise ``ApplicationUnderWay`` when the organisation has a live case (call it with the
    organisation locked, so the answer holds until the new case is written)."""
    case = await live_case(session, catalog, workflow, organisation_id)
    if case is None:
        return
    spec = catalog.machine(case.workflow, case.workflow_version).spec
    detail = await session.get(Accreditation, case.id)
    instead = _what_to_do_instead(spec, case.state, detail, today)
    link = f"/api/v1/applications/{case.id}"
    raise ApplicationUnderWay(
        f"your organisation already has application {case.id}, in state {case.state!r}: "
        f"an organisation has one application at a time. {instead}",
        extra={"case_id": case.id, "state": case.state, "href": link, "instead": instead},
        headers={"Link": f'<{link}>; rel="related"'},
    )


def _what_to_do_instead(spec: WorkflowSpec, state: str, detail: Accreditation | None,
                        today: date) -> str:
    until = detail.valid_until if detail is not None else None
    events = list(dict.fromkeys(t.event for t in spec.transitions_from(state)
                                if "recruiter" in t.roles))
    if "apply_for_renewal" in events and until is not None:
        opens = recertification_opens(until, spec.settings)
        when = "now" if opens <= today else f"from {opens.isoformat()}"
        return (f"To renew the certificate (valid until {until.isoformat()}), fire "
                f"apply_for_renewal on that application, {when}.")
    if "apply_for_restoration" in events and until is not None:
        ends = restoration_ends(until, spec.settings)
        return (f"To restore the expired certificate, fire apply_for_restoration on that "
                f"application, until {ends.isoformat()}.")
    what = (f"you may fire there: {', '.join(events)}" if events
            else "the scheme acts next there")
    if until is not None:
        return (f"Carry on with that application ({what}); its certificate is valid until "
                f"{until.isoformat()}.")
    return f"Carry on with that application ({what})."


async def reference_for(session: AsyncSession, case: Case, settings: Mapping[str, Any],
                        now: datetime) -> str:
    """The organisation's LRN: the one it holds, or a new number drawn now and kept for good."""
    assert case.organisation_id is not None
    held = await session.get(RecruiterReference, case.organisation_id)
    if held is not None:
        return held.lrn
    number = await next_counter(session, "lrn", start=int(settings.get("lrn_start", 12200)))
    lrn = f"{settings.get('lrn_prefix', 'LRN')}{number:0{int(settings.get('lrn_digits', 8))}d}"
    session.add(RecruiterReference(organisation_id=case.organisation_id, lrn=lrn, issued_at=now,
                                   case_id=case.id or 0))
    await session.flush()
    return lrn
