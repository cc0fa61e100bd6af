"""Appeals and representations: the windows an adverse decision opens, who may decide an appeal.

The workflow file holds the figures (``appeal_period``, ``representation_period``) and the
shape (states, ``to: {back_from: [...]}``); these hooks read the case's events, the hash chain,
to find the decision appealed and who took part in it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from iris_engine.accreditation.hooks import audited_by, hooks
from iris_engine.cases import Refusal, TransitionContext
from iris_engine.clock import as_utc
from iris_engine.store.models import CaseEvent
from iris_engine.workflow.spec import Duration, duration_setting

__all__ = ["appeal_until"]

#: the roles whose acts are the scheme's decisions (the recruiter's appeal is not one)
_DECIDING_ROLES = ("scheme_manager",)


def _period(ctx: TransitionContext, name: str) -> Duration:
    return duration_setting(ctx.workflow_settings, name)




def appeal_until(ctx: TransitionContext, decided_at: datetime) -> datetime:
    """The end of the appeal period of a decision taken (or taking effect) at ``decided_at``."""
    return as_utc(decided_at) + _period(ctx, "appeal_period")


@hooks.effect("state_decision_windows")
async def state_decision_windows(ctx: TransitionContext) -> None:
    """An adverse decision says, in its event, until when it may be answered: representations
    before a withdrawal takes effect, an appeal after a decision takes effect."""
    if ctx.dest == "withdrawal_notice":
        takes_effect = ctx.now + _period(ctx, "representation_period")
        ctx.outcome["representations_until"] = takes_effect.isoformat()
        ctx.outcome["takes_effect_at"] = takes_effect.isoformat()
        ctx.outcome["appeal_period"] = (f"{ctx.workflow_settings['appeal_period']} from the "
                                        "day the withdrawal takes effect")
    else:
        ctx.outcome["appeal_until"] = appeal_until(ctx, ctx.now).isoformat()


@hooks.guard("appeal_period_open")
async def appeal_period_open(ctx: TransitionContext) -> None:
    decision = await ctx.engine.entered(ctx.session, ctx.case, frozenset({ctx.source}))
    if decision is None:
        raise Refusal(f"no decision put the case in {ctx.source!r}; there is nothing to appeal")
    if decision.event == "dismiss_appeal":
        raise Refusal(f"the appeal against this decision was dismissed (event #{decision.seq}); "
                      "it cannot be appealed again")
    until = appeal_until(ctx, decision.created_at)
    if ctx.now > until:
        raise Refusal(f"the appeal period of the decision (event #{decision.seq}) ended on "
                      f"{until.date().isoformat()}")


@hooks.guard("appeal_decider_impartial")
async def appeal_decider_impartial(ctx: TransitionContext) -> None:
    """An appeal is heard by a scheme manager who took no part in the decision appealed (any
    staff act since the case entered the states the appeal would undo: the decision, its
    confirmation) nor in the audit of the case (ISO/IEC 17021-1: impartiality)."""
    user = ctx.actor.user_id
    if user is None:
        return
    spec = ctx.engine.catalog.machine(ctx.case.workflow, ctx.case.workflow_version).spec
    undone = next((t.back_from for t in spec.transitions_from(ctx.source) if t.back_from),
                  frozenset({ctx.source}))
    decision = await ctx.engine.entered(ctx.session, ctx.case, undone)
    since = decision.seq if decision is not None else 1
    took_part = await ctx.session.scalar(select(col(CaseEvent.seq)).where(
        col(CaseEvent.case_id) == ctx.case.id, col(CaseEvent.seq) >= since,
        col(CaseEvent.actor_id) == user, col(CaseEvent.actor_role).in_(_DECIDING_ROLES),
    ).order_by(col(CaseEvent.seq)).limit(1))
    if took_part is not None:
        raise Refusal(f"you took part in the decision appealed (event #{took_part}); the appeal "
                      "must be decided by a scheme manager who did not")
    if await audited_by(ctx, user):
        raise Refusal("you audited this case; the appeal must be decided by a scheme manager "
                      "who took no part in the audit")
