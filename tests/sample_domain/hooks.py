"""The inquiry's named guard and effects: each changes only the inquiry's own detail."""

from __future__ import annotations

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.workflow import HookRegistry

hooks = HookRegistry()


@hooks.guard("question_not_withdrawn")
async def question_not_withdrawn(ctx: TransitionContext) -> None:
    if ctx.detail.withdrawn:
        raise Refusal("the recruiter withdrew the question")


@hooks.effect("record_answer")
async def record_answer(ctx: TransitionContext) -> None:
    ctx.detail.answered_at = ctx.now


@hooks.effect("mark_withdrawn")
async def mark_withdrawn(ctx: TransitionContext) -> None:
    ctx.detail.withdrawn = True
