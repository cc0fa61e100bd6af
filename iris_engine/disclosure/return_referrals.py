"""Referring a survivor for return assistance from a case of another workflow (a grievance
whose complainant alleges trafficking and consents).

As with ``referring``: the source workflow's hook builds a ``ReturnEnquiry`` (the minimum to
open an enquiry, the identity opened from its own seal with the read recorded) and asks the
``ReturnReferralDesk`` among the resources, which the returns domain provides, to open the
return case inside the source's own transition. Neither domain imports the other; the link
runs both ways through the return case's ``source_case_id`` (``of_case`` answers it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases import TransitionContext
    from iris_engine.disclosure.referring import ReferralSummary

__all__ = ["ReturnConsentGiven", "ReturnEnquiry", "ReturnReferralDesk"]


@dataclass(frozen=True, slots=True)
class ReturnConsentGiven:
    """The survivor's informed consent to be referred for return assistance, as recorded."""

    text_version: str
    language: str
    interpreter_used: bool
    witness: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnEnquiry:
    """What a source case hands the returns domain: the minimum to open an enquiry."""

    nationality: str
    language: str
    consent: ReturnConsentGiven
    age_group: str = "adult"
    in_danger: bool = False
    #: {name, date_of_birth, phone, email, other}, opened from the source's seal (its read
    #: recorded by the source); None when the person stayed anonymous there
    identity: dict[str, Any] | None = None
    narrative: str | None = None
    #: what the source's caseworker adds for the return officer (sealed as the narrative is)
    context: dict[str, Any] = field(default_factory=dict)


class ReturnReferralDesk:
    """Opens return cases from other cases and follows them (the returns domain provides it)."""

    async def open_from(self, ctx: TransitionContext, enquiry: ReturnEnquiry) -> int:
        """Open a return enquiry from ``ctx.case`` inside its transition; answers its case id.
        Refuses (``iris_engine.errors.Refusal``) a nationality not eligible today."""
        raise NotImplementedError

    async def of_cases(self, session: AsyncSession, case_ids: Sequence[int]
                       ) -> dict[int, list[ReferralSummary]]:
        """The same for several cases in one statement, by case (a case with none left out)."""
        raise NotImplementedError

    async def of_case(self, session: AsyncSession, case_id: int) -> list[ReferralSummary]:
        """The return cases referred from a case, oldest first."""
        raise NotImplementedError
