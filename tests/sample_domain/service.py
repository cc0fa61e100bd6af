"""The inquiry's view and the one act of its own (asking): the rest is the platform's."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from iris_engine.cases import Principal
from iris_engine.cases.service import CaseService
from iris_engine.errors import Forbidden
from iris_engine.store.models import Case
from tests.sample_domain.models import Inquiry


class InquiryView(msgspec.Struct):
    id: int
    state: str
    revision: int
    question: str
    answered_at: datetime | None


class InquiryCreate(msgspec.Struct, forbid_unknown_fields=True):
    question: str


class InquiryService(CaseService):
    workflow = "inquiry"
    detail_model = Inquiry

    async def view(self, session: AsyncSession, case: Case, detail: Inquiry | None, *,
                   full: bool) -> InquiryView:
        detail = detail or await session.get(Inquiry, case.id)
        assert detail is not None
        return InquiryView(id=case.id or 0, state=case.state, revision=case.revision,
                           question=detail.question, answered_at=detail.answered_at)

    async def ask(self, principal: Principal, question: str) -> InquiryView:
        if "recruiter" not in principal.roles:
            raise Forbidden("recruiters ask inquiries")
        async with self.db.write() as session:
            opened = await self.engine.open(
                session, self.workflow, organisation_id=principal.organisation_id,
                principal=principal, role="recruiter",
                detail=lambda case: Inquiry(case_id=case.id or 0, question=question))
            return await self.view(session, opened.case, opened.detail, full=True)


class InquiryController(Controller):
    path = "/"

    @post("/", operation_id="askInquiry", status_code=201)
    async def ask(self, data: JSONBody[InquiryCreate], principal: NamedDependency[Principal],
                  inquiries: NamedDependency[InquiryService]) -> InquiryView:
        """Ask the scheme a question (recruiters)."""
        return await inquiries.ask(principal, data.question)
