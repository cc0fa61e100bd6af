"""A legal hold keeps a case's personal data past its retention period (e.g. for proceedings).

The hooks are the platform's, for every workflow whose detail row has ``legal_hold`` and
``legal_hold_reason`` (``LegalHeld``); lifting a hold is each domain's own effect, because what
happens next (erase at once if the retention period ended meanwhile) is the domain's rule.
"""

from __future__ import annotations

from typing import Protocol

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.workflow import HookRegistry

__all__ = ["LegalHeld", "hooks"]

hooks = HookRegistry()


class LegalHeld(Protocol):
    legal_hold: bool
    legal_hold_reason: str | None


@hooks.guard("no_legal_hold")
async def no_legal_hold(ctx: TransitionContext) -> None:
    detail: LegalHeld = ctx.detail
    if detail.legal_hold:
        raise Refusal(f"under legal hold: {detail.legal_hold_reason}")


@hooks.guard("under_legal_hold")
async def under_legal_hold(ctx: TransitionContext) -> None:
    detail: LegalHeld = ctx.detail
    if not detail.legal_hold:
        raise Refusal("there is no legal hold")


@hooks.effect("place_legal_hold")
async def place_legal_hold(ctx: TransitionContext) -> None:
    """The hold's reason is the transition's note (a clear note: it is about proceedings)."""
    detail: LegalHeld = ctx.detail
    detail.legal_hold = True
    detail.legal_hold_reason = ctx.request.note
