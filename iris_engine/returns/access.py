"""Who reaches a return case beyond the built-in scopes: the origin-country partner, while
the survivor's consent to that sharing stands; and who may hold a case (an active return
officer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, exists, select
from sqlmodel import col

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.models import ReturnCase, ReturnConsent
from iris_engine.store.models import User
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


@hooks.guard("return_officer_eligible", reads_input=True)
async def return_officer_eligible(ctx: TransitionContext) -> None:
    """A case is given only to an active account holding the role return_officer: anyone else
    would be shown the survivor's case without a part in it."""
    user_id = ctx.request.data.get("return_officer_id")
    user = await ctx.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or "return_officer" not in user.role_set:
        raise Refusal(f"user {user_id} is not an active return officer",
                      errors=[FieldError("/data/return_officer_id",
                                         "the id of an active return officer")])
