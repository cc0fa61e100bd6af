"""Certificates as rows: issued when an enrolment is certified, revoked, or reissued after a
name correction (the old one revoked and pointing to its successor). What a certificate
certifies is copied from the course version and the session, so it stays true whatever
changes later; the learner's name is sealed at the certificate's own place, so it is erased
with the learner's (retention) and opens nowhere else."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import TransitionContext
from iris_engine.settings import Settings
from iris_engine.store.counters import next_counter
from iris_engine.training.models import Certificate, Course, Enrolment, Learner, TrainingSession
from iris_engine.training.numbers import new_certificate_number
from iris_engine.training.sealing import certificate_name_place, learner_place
from iris_engine.vault import Vault
from iris_engine.workflow.spec import duration_setting

__all__ = ["STATUS_LIST_COUNTER", "current_certificate", "issue", "revoke"]

#: the named counter (store ``Counter``) that hands out places in the status list
STATUS_LIST_COUNTER = "training_status_index"


def _valid_until(course: Course, awarded_on: date) -> date | None:
    if not course.certificate_validity:
        return None
    span = duration_setting({"validity": course.certificate_validity}, "validity")
    end: date | datetime = awarded_on + span
    return end.date() if isinstance(end, datetime) else end


async def current_certificate(ctx: TransitionContext) -> Certificate | None:
    """The enrolment's certificate that nothing superseded (None before it is certified)."""
    return (await ctx.session.scalars(
        select(Certificate).where(col(Certificate.enrolment_case_id) == ctx.case.id,
                                  col(Certificate.superseded_by).is_(None))
        .order_by(col(Certificate.issued_at).desc()))).first()


async def issue(ctx: TransitionContext) -> Certificate:
    """A new certificate of the enrolment, with the learner's name as now recorded."""
    enrolment: Enrolment = ctx.detail
    session = await ctx.session.get(TrainingSession, enrolment.session_case_id)
    learner = await ctx.session.get(Learner, enrolment.learner_id)
    assert session is not None and learner is not None
    course = await ctx.session.get(Course, session.course_id)
    assert course is not None
    vault = ctx.resources.get(Vault)
    name = (vault.open(learner.name_sealed, place=learner_place(learner.id or 0, "name"))
            if learner.name_sealed is not None else None)
    number = new_certificate_number()
    awarded_on = session.starts_at.date()
    certificate = Certificate(
        id=number, enrolment_case_id=enrolment.case_id, learner_id=learner.id or 0,
        organisation_id=ctx.case.organisation_id, course_id=course.id or 0,
        course_key=course.key, course_title=course.title, topics=list(course.topics),
        cpd_hours=course.cpd_hours,
        provider_reference=ctx.resources.get(Settings).cpd_provider_reference,
        awarded_on=awarded_on, valid_until=_valid_until(course, awarded_on),
        learner_name_sealed=(vault.seal(name, place=certificate_name_place(number))
                             if name is not None else None),
        status_index=await next_counter(ctx.session, STATUS_LIST_COUNTER, start=-1),
        issued_at=ctx.now)
    ctx.session.add(certificate)
    await ctx.session.flush()
    ctx.outcome["certificate"] = number
    return certificate


async def revoke(ctx: TransitionContext, *, superseded_by: str | None = None) -> Certificate:
    certificate = await current_certificate(ctx)
    assert certificate is not None, f"certified enrolment {ctx.case.id} has no certificate"
    certificate.revoked_at = ctx.now
    certificate.superseded_by = superseded_by
    ctx.outcome["revoked_certificate"] = certificate.id
    return certificate
