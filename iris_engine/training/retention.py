"""Erasing a learner's name and e-mail at the end of retention.

Every enrolment that ends starts a ``retention_end`` timer (``records_retention`` after it
ended). The learner is erased by the last of them: while another enrolment of theirs is live,
or ended more recently (its own timer still pending), nothing is erased. What a certificate
certified stays (course, date, hours, number): the verification answers that it was issued,
without the name. The outbox forgets the address; the audit chain never held it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import col

from iris_engine.cases import TransitionContext
from iris_engine.outbox import forget_recipient
from iris_engine.store.models import Case, Timer
from iris_engine.training.mail import LearnerMail
from iris_engine.training.models import Certificate, Enrolment, Learner

__all__ = ["ENDED", "erase_learner_if_done"]

#: an enrolment in these states has ended (its retention period runs)
ENDED = ("cancelled", "no_show", "failed", "certified", "revoked")


async def _still_needed(ctx: TransitionContext, learner_id: int) -> int:
    """How many other enrolments of the learner still need their data: live ones, and ended
    ones whose retention period has not run out."""
    others = select(col(Enrolment.case_id)).where(col(Enrolment.learner_id) == learner_id,
                                                  col(Enrolment.case_id) != ctx.case.id)
    live = await ctx.session.scalar(select(func.count()).select_from(Case).where(
        col(Case.id).in_(others), col(Case.state).not_in(ENDED)))
    kept = await ctx.session.scalar(select(func.count()).select_from(Timer).where(
        col(Timer.case_id).in_(others), col(Timer.name) == "retention_end",
        col(Timer.status) == "pending"))
    return int(live or 0) + int(kept or 0)


async def erase_learner_if_done(ctx: TransitionContext) -> dict[str, Any]:
    enrolment: Enrolment = ctx.detail
    learner = await ctx.session.get(Learner, enrolment.learner_id, with_for_update=True)
    assert learner is not None
    if learner.erased_at is not None:
        return {"erased": False, "why": "already erased"}
    needed = await _still_needed(ctx, learner.id or 0)
    if needed:
        return {"erased": False, "why": f"{needed} other enrolment(s) of the learner still "
                "keep their records"}
    address = ctx.resources.get(LearnerMail).address(learner)
    outbox = await forget_recipient(ctx.session, address) if address else 0
    learner.name_sealed = learner.email_sealed = learner.email_digest = None
    learner.link_token_hash = None
    learner.erased_at = ctx.now
    certificates = await ctx.session.execute(
        update(Certificate).where(col(Certificate.learner_id) == learner.id)
        .values(learner_name_sealed=None))
    await ctx.session.execute(update(Enrolment).where(col(Enrolment.learner_id) == learner.id)
                              .values(confirmation_hash=None))
    ctx.erased(Learner.__tablename__, Certificate.__tablename__, "outbox_message")
    return {"erased": True, "learner_id": learner.id,
            "certificates": int(certificates.rowcount),  # type: ignore[attr-defined]
            "messages": outbox}
