"""Enrolments as staff see them, and the one rule of their transitions beyond the engine's:
the session's case is locked before any enrolment event (seats are counted under that lock,
and one lock order keeps two transactions from waiting on each other), and an attendance
record concludes at once, certified or failed, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import SYSTEM, CaseEngine, Principal, TransitionOutcome
from iris_engine.cases.schemas import TransitionRequest
from iris_engine.cases.service import CaseService
from iris_engine.errors import Forbidden, NotFound
from iris_engine.store.db import Database
from iris_engine.store.models import Case
from iris_engine.training.learners import LearnerBook
from iris_engine.training.models import Certificate, Enrolment, Learner
from iris_engine.training.schemas import CertificateSummary, EnrolmentView, NameCorrection
from iris_engine.workflow import TransitionInput

__all__ = ["ENROLMENTS_PATH", "EnrolmentService", "certificate_summaries", "conclude"]

WORKFLOW = "enrolment"
ENROLMENTS_PATH = "/api/v1/training/enrolments"


async def certificate_summaries(session: AsyncSession, case_id: int) -> list[CertificateSummary]:
    return (await certificates_of(session, [case_id])).get(case_id, [])


async def certificates_of(session: AsyncSession, case_ids: Sequence[int]
                          ) -> dict[int, list[CertificateSummary]]:
    """The certificates of several enrolments in one statement, by enrolment, oldest first."""
    found: dict[int, list[CertificateSummary]] = {}
    rows = await session.scalars(select(Certificate).where(
        col(Certificate.enrolment_case_id).in_(set(case_ids))).order_by(
        col(Certificate.issued_at)))
    for c in rows.all():
        found.setdefault(c.enrolment_case_id, []).append(CertificateSummary(
            number=c.id, course_title=c.course_title, awarded_on=c.awarded_on,
            cpd_hours=c.cpd_hours, valid_until=c.valid_until, revoked_at=c.revoked_at,
            superseded_by=c.superseded_by))
    return found


async def lock_session_of(engine: CaseEngine, session: AsyncSession, case_id: int) -> None:
    """Lock the session of enrolment ``case_id`` (if it is one) before the enrolment itself."""
    session_case_id = await session.scalar(select(col(Enrolment.session_case_id)).where(
        col(Enrolment.case_id) == case_id))
    if session_case_id is not None:
        await engine.lock(session, session_case_id)


async def conclude(engine: CaseEngine, session: AsyncSession,
                   assessed: TransitionOutcome) -> TransitionOutcome:
    """Certify (the certificate issued) or fail an enrolment whose attendance was just recorded."""
    event = "certify" if assessed.detail.passed else "fail"
    return await engine.fire(session, WORKFLOW, assessed.case.id or 0, SYSTEM,
                             TransitionInput(event, assessed.case.revision),
                             cause={"enrolment": {"event_seq": assessed.event.seq}},
                             locked=assessed.case)


class EnrolmentService(CaseService):
    workflow = WORKFLOW
    detail_model = Enrolment
    no_access = ("enrolments are for training coordinators, the trainers of their sessions and "
                 "the coordinators of the learners' organisations")

    def __init__(self, db: Database, engine: CaseEngine, learners: LearnerBook) -> None:
        super().__init__(db, engine)
        self.learners = learners

    async def view(self, session: AsyncSession, case: Case, detail: Enrolment | None, *,
                   full: bool) -> EnrolmentView:
        detail = detail or await session.get(Enrolment, case.id)
        assert detail is not None
        learner = await session.get(Learner, detail.learner_id)
        assert learner is not None
        return self._view(case, detail, learner,
                          await certificate_summaries(session, case.id or 0))

    async def view_rows(self, session: AsyncSession, rows: Sequence[tuple[Case, Any]]
                        ) -> list[EnrolmentView]:
        """A list's enrolments (an attendance sheet's) with their learners and certificates
        read for all at once."""
        learner_ids = {detail.learner_id for _, detail in rows}
        learners = {x.id: x for x in (await session.scalars(select(Learner).where(
            col(Learner.id).in_(learner_ids)))).all()} if learner_ids else {}
        certificates = await certificates_of(session, [case.id or 0 for case, _ in rows])
        return [self._view(case, detail, learners[detail.learner_id],
                           certificates.get(case.id or 0, [])) for case, detail in rows]

    def _view(self, case: Case, detail: Enrolment, learner: Learner,
              certificates: list[CertificateSummary]) -> EnrolmentView:
        return EnrolmentView(
            id=case.id or 0, state=case.state, revision=case.revision,
            session_id=detail.session_case_id, learner_id=detail.learner_id,
            learner_name=self.learners.name(learner), sector=learner.sector,
            organisation_id=case.organisation_id, enrolled_by=detail.enrolled_by,
            requested_at=detail.requested_at, waitlisted_at=detail.waitlisted_at,
            minutes_present=detail.minutes_present, score=detail.score, passed=detail.passed,
            certificates=certificates)

    async def _fire(self, session: AsyncSession, principal: Principal, case_id: int,
                    request: TransitionRequest) -> TransitionOutcome:
        await lock_session_of(self.engine, session, case_id)
        outcome = await super()._fire(session, principal, case_id, request)
        if request.event == "record_attendance":
            outcome = await conclude(self.engine, session, outcome)
            await session.flush()
        return outcome

    async def correct_name(self, principal: Principal, case_id: int,
                           correction: NameCorrection) -> EnrolmentView:
        """Correct the learner's name and reissue the certificate with it (the old one revoked,
        pointing to the new): a training coordinator's act, one transaction."""
        if "training_coordinator" not in principal.roles:
            raise Forbidden("training coordinators correct learners' names")
        async with self.db.write() as session:
            await lock_session_of(self.engine, session, case_id)
            case = await self.engine.get_visible(session, case_id, principal, WORKFLOW,
                                                 for_update=True)
            detail = await session.get(Enrolment, case.id)
            learner = await session.get(Learner, detail.learner_id, with_for_update=True) if detail else None
            if learner is None or learner.erased_at is not None:
                raise NotFound(f"the learner of enrolment {case_id} was erased")
            self.learners.rename(learner, correction.name)
            outcome = await self.engine.fire(session, WORKFLOW, case_id, principal, TransitionInput(
                "reissue", correction.expected_revision, reason_code="name_corrected"), locked=case)
            await session.flush()
            return await self.view(session, outcome.case, outcome.detail, full=True)
