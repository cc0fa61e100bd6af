"""Who enrols: a learner on their own (confirmed by the token e-mailed to them), or an
organisation's coordinator for its staff (a CSV, vouched for: no confirmation). Either way the
enrolment takes a seat or a place on the waitlist with the session's case locked, and the
learner receives a link token that opens their record."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import CaseEngine, Principal
from iris_engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from iris_engine.store.db import Database
from iris_engine.store.models import MAX_ID, Case, Organisation
from iris_engine.training.bulk import StaffRow, read_staff_csv
from iris_engine.training.learners import LearnerBook, NewLearner, learner_principal, token_hash
from iris_engine.training.mail import LearnerMail, session_line
from iris_engine.training.models import Course, Enrolment, Learner, TrainingSession
from iris_engine.training.schemas import (
    BulkEnrolled,
    BulkRow,
    EnrolmentConfirmed,
    EnrolmentRequested,
    SelfEnrolment,
)
from iris_engine.training.session_hooks import LIVE_ENROLMENT
from iris_engine.workflow import TransitionInput
from iris_engine.workflow.spec import duration_setting

__all__ = ["Enrolling"]

WORKFLOW = "enrolment"
_ASKED = ("If the address is right, an e-mail with a confirmation token is on its way. POST "
          "the token to /api/v1/training/enrolments/confirm to take your seat.")


class Enrolling:
    def __init__(self, db: Database, engine: CaseEngine, learners: LearnerBook,
                 mail: LearnerMail) -> None:
        self.db = db
        self.engine = engine
        self.learners = learners
        self.mail = mail

    @property
    def _confirm_hours(self) -> int:
        settings = self.engine.catalog.machine(WORKFLOW).spec.settings
        return int(duration_setting(settings, "confirmation_window", "PT48H").total_seconds() // 3600)

    async def _open_session(self, session: AsyncSession,
                            session_case_id: int) -> tuple[Case, TrainingSession, Course]:
        """The session, its case locked, if it takes enrolments now."""
        case = await self.engine.lock(session, session_case_id) if 0 < session_case_id <= MAX_ID else None
        if case is None or case.workflow != "training_session":
            raise NotFound(f"no training session {session_case_id}")
        detail = await session.get(TrainingSession, case.id, populate_existing=True)
        assert detail is not None
        if case.state != "registration_open" or self.engine.clock() >= detail.starts_at:
            raise Conflict(f"session {session_case_id} is not open for registration",
                           extra={"state": case.state})
        course = await session.get(Course, detail.course_id)
        assert course is not None
        return case, detail, course

    @staticmethod
    async def _live_enrolment(session: AsyncSession, learner: Learner, session_case_id: int) -> int:
        return int(await session.scalar(
            select(func.count()).select_from(Enrolment).join(Case, col(Case.id) == col(Enrolment.case_id))
            .where(col(Enrolment.learner_id) == learner.id,
                   col(Enrolment.session_case_id) == session_case_id,
                   col(Case.state).in_((*LIVE_ENROLMENT, "assessed")))) or 0)

    async def _open(self, session: AsyncSession, session_case: Case, detail: TrainingSession,
                    learner: Learner, principal: Principal, role: str, *,
                    organisation_id: int | None, confirmation_hash: str | None) -> Case:
        now = self.engine.clock()
        opened = await self.engine.open(
            session, WORKFLOW, organisation_id=organisation_id, principal=principal, role=role,
            assignee_id=detail.trainer_id,
            data={"session_id": session_case.id, "learner_id": learner.id},
            detail=lambda case: Enrolment(
                case_id=case.id or 0, session_case_id=session_case.id or 0,
                learner_id=learner.id or 0, enrolled_by=principal.user_id or None,
                confirmation_hash=confirmation_hash, requested_at=now))
        await session.flush()
        return opened.case

    async def _seat_or_waitlist(self, session: AsyncSession, case: Case, detail: TrainingSession,
                                principal: Principal) -> str:
        """Confirm the enrolment, or put it on the waitlist; the session's case is locked."""
        event = "confirm" if detail.seats_taken < detail.capacity else "waitlist"
        outcome = await self.engine.fire(session, WORKFLOW, case.id or 0, principal,
                                         TransitionInput(event, case.revision), locked=case)
        return outcome.case.state

    # -- a learner on their own ----------------------------------------------------------
    async def self_enrol(self, session_case_id: int, form: SelfEnrolment) -> EnrolmentRequested:
        async with self.db.write() as session:
            session_case, detail, course = await self._open_session(session, session_case_id)
            now = self.engine.clock()
            learner = await self.learners.find_or_add(session, NewLearner(
                form.name.strip(), form.email, form.sector, form.organisation), now)
            what = session_line(course, detail)
            if await self._live_enrolment(session, learner, session_case_id):
                self.mail.send(session, learner, topic="training.already_enrolled", now=now,
                               subject="You are already enrolled", lines=[
                                   f"Someone (we hope you) asked to enrol you in {what}.", "",
                                   "You are already enrolled in it: nothing was changed."])
            else:
                token = secrets.token_urlsafe(32)
                case = await self._open(session, session_case, detail, learner,
                                        learner_principal(0), "learner", organisation_id=None,
                                        confirmation_hash=token_hash(token))
                self.mail.confirm_request(session, learner, token, what, self._confirm_hours, now,
                                          case.id or 0)
        return EnrolmentRequested(state="requested", confirm_within_hours=self._confirm_hours,
                                  message=_ASKED)

    async def confirm(self, token: str) -> EnrolmentConfirmed:
        """Confirm the address the token went to: a seat, or a place on the waitlist."""
        async with self.db.write() as session:
            found = (await session.execute(
                select(col(Enrolment.case_id), col(Enrolment.session_case_id))
                .where(col(Enrolment.confirmation_hash) == token_hash(token)))).first()
            if found is None:
                raise NotFound("no enrolment waits for this token (it was used, or it lapsed: "
                               "enrol again to get a new one)")
            case_id, session_case_id = found
            session_case = await self.engine.lock(session, session_case_id)
            case = await self.engine.lock(session, case_id)
            assert session_case is not None and case is not None
            if case.state != "requested":
                raise NotFound("no enrolment waits for this token")
            detail = await session.get(TrainingSession, session_case_id, populate_existing=True)
            enrolment = await session.get(Enrolment, case_id, populate_existing=True)
            assert detail is not None and enrolment is not None
            state = await self._seat_or_waitlist(session, case, detail, learner_principal(case_id))
            enrolment.confirmation_hash = None
            learner = await session.get(Learner, enrolment.learner_id)
            course = await session.get(Course, detail.course_id)
            assert learner is not None and course is not None
            link = self.learners.new_link_token(learner)
            self.mail.link(session, learner, link, session_line(course, detail), self.engine.clock())
        return EnrolmentConfirmed(enrolment_id=case_id, state=state, link_token=link,
                                  record_href="/api/v1/training/me")

    # -- an organisation's coordinator -----------------------------------------------------
    async def enrol_staff(self, principal: Principal, session_case_id: int,
                          csv_bytes: bytes) -> BulkEnrolled:
        """Enrol every row of the CSV, or nobody (one transaction): the coordinator vouches
        for its staff, so no confirmation is asked; each learner is e-mailed their link."""
        if "organisation_coordinator" not in principal.roles:
            raise Forbidden("an organisation's coordinator enrols its staff")
        rows = read_staff_csv(csv_bytes)
        return await self.enrol_rows(principal, session_case_id, rows)

    async def enrol_rows(self, principal: Principal, session_case_id: int,
                         rows: list[StaffRow]) -> BulkEnrolled:
        async with self.db.write() as session:
            session_case, detail, course = await self._open_session(session, session_case_id)
            organisation = await session.get(Organisation, principal.organisation_id)
            assert organisation is not None
            now = self.engine.clock()
            what = session_line(course, detail)
            enrolled, errors = [], []
            for row in rows:
                learner = await self.learners.find_or_add(session, NewLearner(
                    row.name, row.email, row.sector, organisation.name, principal.organisation_id),
                    now)
                if await self._live_enrolment(session, learner, session_case_id):
                    errors.append(FieldError(f"/line/{row.line}/email",
                                             "already enrolled in this session"))
                    continue
                case = await self._open(session, session_case, detail, learner, principal,
                                        "organisation_coordinator",
                                        organisation_id=principal.organisation_id,
                                        confirmation_hash=None)
                state = await self._seat_or_waitlist(session, case, detail, principal)
                self.mail.link(session, learner, self.learners.new_link_token(learner), what, now)
                enrolled.append(BulkRow(line=row.line, enrolment_id=case.id or 0, state=state))
            if errors:  # raised inside the transaction: nobody is enrolled
                raise InvalidInput(f"{len(errors)} problem(s) in the file; nobody was enrolled",
                                   errors=errors)
        return BulkEnrolled(enrolled=enrolled,
                            confirmed=sum(1 for r in enrolled if r.state == "confirmed"),
                            waitlisted=sum(1 for r in enrolled if r.state == "waitlisted"))
