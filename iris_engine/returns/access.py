"""Who reaches a return case beyond the built-in scopes (owner: disclosure helper).

PENDING: every hook below is a placeholder of the foundation branch; its owner replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, exists, select
from sqlmodel import col

from iris_engine.cases import TransitionContext
from iris_engine.returns.models import ReturnCase, ReturnConsent
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()


@hooks.scope("shared_with_partner", table=ReturnCase)
def shared_with_partner(settings: Mapping[str, Any], caller: Any) -> Any:
    """The cases shared with the caller's organisation while the survivor's consent to that
    sharing stands: withdrawing it ends the partner's reach at once (lists, reads, acts and
    who is told all ask this one condition)."""
    consent_stands = exists(select(col(ReturnConsent.id)).where(
        col(ReturnConsent.case_id) == col(ReturnCase.case_id),
        col(ReturnConsent.purpose) == "share_with_partner",
        col(ReturnConsent.withdrawn_at).is_(None)))
    return and_(col(ReturnCase.partner_organisation_id) == caller.organisation_id, consent_stands)


@hooks.guard("return_officer_eligible")
async def return_officer_eligible(ctx: TransitionContext) -> None:
    raise NotImplementedError("return_officer_eligible: PENDING")
