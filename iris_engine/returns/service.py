"""Return cases as their users see them: the generated case endpoints' service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.cases.service import CaseService
from iris_engine.returns.models import ReturnCase
from iris_engine.returns.schemas import ReturnView
from iris_engine.store.models import Case

__all__ = ["RETURNS_PATH", "WORKFLOW", "ReturnCaseService", "return_view"]

WORKFLOW = "return"
RETURNS_PATH = "/api/v1/returns"


def return_view(case: Case, r: ReturnCase) -> ReturnView:
    return ReturnView(
        id=case.id or 0, state=case.state, revision=case.revision, reference=r.reference,
        nationality=r.nationality, return_country=r.return_country, age_group=r.age_group,
        language=r.language, in_danger=r.in_danger, nrm_status=r.nrm_status,
        assignee_id=case.assignee_id, referrer_organisation_id=r.referrer_organisation_id,
        source_case_id=r.source_case_id, partner_organisation_id=r.partner_organisation_id,
        risk_outcome=r.risk_outcome, scheduled_departure_at=r.scheduled_departure_at,
        scheduled_arrival_at=r.scheduled_arrival_at, departed_at=r.departed_at,
        arrived_at=r.arrived_at, escalations=r.escalations, enquiry_at=r.enquiry_at,
        ended_at=r.ended_at, legal_hold=r.legal_hold, erased=r.purged_at is not None)


class ReturnCaseService(CaseService):
    workflow = WORKFLOW
    detail_model = ReturnCase
    no_access = ("return cases are for return officers and supervisors, the organisation that "
                 "referred them and the partner they are shared with")

    async def view(self, session: AsyncSession, case: Case, detail: ReturnCase | None, *,
                   full: bool) -> ReturnView:
        detail = detail or await session.get(ReturnCase, case.id)
        assert detail is not None
        return return_view(case, detail)
