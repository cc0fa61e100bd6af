"""Referring a case to an authority, from a case of any workflow.

Two sides meet here. A *source* workflow (a grievance, a return referral, ...) registers a
``ReferralSource``: what its referral packet holds, what a webhook notice may say, and how the
person's identity is opened when they consented. The referrals domain provides the
``ReferralDesk``, which opens the referral case inside the source's own transition. Neither
side imports the other: each finds the other among the resources by type (the bases are
plain classes, not ABCs, so a resource can be looked up by them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases import Principal, TransitionContext
    from iris_engine.disclosure.models import Authority
    from iris_engine.disclosure.schemas import IdentityView, ReferralPacket

__all__ = ["ReferralDesk", "ReferralSource", "ReferralSummary"]


class ReferralSource:
    """What a workflow whose cases can be referred discloses, and on what terms."""

    workflow: ClassVar[str]
    #: the fields its packet holds, recorded on each referral as disclosed (with "identity"
    #: when the person consented to that too)
    packet_fields: ClassVar[tuple[str, ...]]

    async def packet(self, session: AsyncSession, case_id: int) -> ReferralPacket:
        """The minimum the authority needs to act (the caller records the read)."""
        raise NotImplementedError

    async def notice(self, session: AsyncSession, case_id: int) -> dict[str, Any]:
        """What a webhook notice of a new referral may say: a classification, nothing that
        identifies anyone (the authority fetches the packet with its credentials)."""
        raise NotImplementedError

    async def identity_consented(self, session: AsyncSession, case_id: int) -> bool:
        """Whether the person consented to their identity going to an authority."""
        raise NotImplementedError

    async def identity(self, session: AsyncSession, case_id: int, principal: Principal, *,
                       role: str, basis: str, purpose: str, now: datetime) -> IdentityView:
        """Record the read, then open the identity (the caller has checked entitlement)."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ReferralSummary:
    case_id: int
    state: str
    #: made and not declined or withdrawn: the source has been referred
    standing: bool


class ReferralDesk:
    """Opens and follows referrals of a source case (the referrals domain provides it)."""

    async def open(self, ctx: TransitionContext, authority: Authority, remit: str, *,
                   include_identity: bool) -> int:
        """Open a referral of ``ctx.case`` inside its transition; answers the referral's id."""
        raise NotImplementedError

    async def of_cases(self, session: AsyncSession, case_ids: Sequence[int]
                       ) -> dict[int, list[ReferralSummary]]:
        """The same for several cases in one statement, by case (a case with none left out)."""
        raise NotImplementedError

    async def of_case(self, session: AsyncSession, case_id: int) -> list[ReferralSummary]:
        """The referrals made from a case, oldest first."""
        raise NotImplementedError

    async def follow_assignee(self, ctx: TransitionContext) -> list[int]:
        """The case changed hands: its live referrals follow (each an audited event)."""
        raise NotImplementedError
