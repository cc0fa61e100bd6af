"""The returns domain's side of ``iris_engine.disclosure.return_referrals``: another case's
transition (a grievance whose complainant alleges trafficking and consents) opens a return
enquiry in its own transaction, linked both ways (``source_case_id`` here, the return case's
id in the source event's outcome).

The enquiry stays in ``enquiry``. What the survivor consented to, in the source case, is to be
*referred*: their identity going from that case to the return team. The informed consent to
return assistance itself comes after a return officer has met them and explained the options
(DOMAIN.md: voluntary, informed consent first), and is recorded there as every first consent is
(``record_consent``, purpose ``return_assistance``). The referral consent is kept apart, as a
consent of purpose ``referral`` with its text version, language, interpreter and witness
(sealed), so the case shows on what basis it holds the survivor's identity; withdrawing from
the return (``withdraw``) ends it with every other consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import Principal, Refusal
from iris_engine.disclosure.referring import ReferralSummary
from iris_engine.disclosure.return_referrals import ReturnEnquiry, ReturnReferralDesk
from iris_engine.returns.eligibility import eligibility_errors
from iris_engine.returns.intake import NewEnquiry, open_enquiry
from iris_engine.returns.models import ReturnCase, ReturnConsent
from iris_engine.returns.sealing import sealed_place
from iris_engine.returns.service import WORKFLOW
from iris_engine.store.models import Case

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases import TransitionContext
    from iris_engine.vault import Vault

__all__ = ["REFERRAL", "ReturnReferrals"]

#: the purpose of the consent a survivor gave, in the source case, to being referred
REFERRAL = "referral"
#: states of a return case in which the survivor is no longer being helped home
_NOT_STANDING = frozenset({"withdrawn", "not_eligible", "not_advised"})


def _narrative(enquiry: ReturnEnquiry) -> str | None:
    """The account and what the source's caseworker adds, as one sealed text."""
    parts = [enquiry.narrative] if enquiry.narrative else []
    parts += [f"{key}: {value}" for key, value in enquiry.context.items()]
    return "\n\n".join(parts) or None


class ReturnReferrals(ReturnReferralDesk):
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    async def open_from(self, ctx: TransitionContext, enquiry: ReturnEnquiry) -> int:
        """The pointers of a refusal are the source transition's (``/data/nationality``)."""
        settings = ctx.engine.catalog.machine(WORKFLOW).spec.settings
        errors = eligibility_errors(settings, enquiry.nationality, enquiry.nationality, at="/data")
        if errors:
            raise Refusal(errors[0].message, errors=errors[:1])  # one country, said once
        principal = Principal(ctx.actor.user_id or 0, ctx.actor.organisation_id or 0,
                              ctx.actor.roles)
        given = enquiry.consent
        opened = await open_enquiry(ctx.session, ctx.engine, self.vault, NewEnquiry(
            nationality=enquiry.nationality, return_country=enquiry.nationality,
            language=enquiry.language, age_group=enquiry.age_group, in_danger=enquiry.in_danger,
            identity=enquiry.identity, narrative=_narrative(enquiry),
            source_case_id=ctx.case.id, source_workflow=ctx.case.workflow,
            consent={"text_version": given.text_version, "language": given.language,
                     "interpreter_used": given.interpreter_used,
                     "witnessed": given.witness is not None}),
            principal=principal, role=ctx.actor.role)
        case_id = opened.case.id or 0
        consent = ReturnConsent(case_id=case_id, purpose=REFERRAL, services=[],
                                text_version=given.text_version, language=given.language,
                                interpreter_used=given.interpreter_used,
                                recorded_by_user_id=ctx.actor.user_id, given_at=ctx.now)
        ctx.session.add(consent)
        await ctx.session.flush()
        if given.witness:
            consent.witness_sealed = self.vault.seal(
                given.witness, place=sealed_place(case_id, f"witness:{consent.id}"))
        return case_id

    async def of_cases(self, session: AsyncSession, case_ids: Sequence[int]
                       ) -> dict[int, list[ReferralSummary]]:
        found: dict[int, list[ReferralSummary]] = {}
        if not case_ids:
            return found
        rows = (await session.execute(
            select(col(ReturnCase.source_case_id), col(ReturnCase.case_id), col(Case.state))
            .join(Case, col(Case.id) == col(ReturnCase.case_id))
            .where(col(ReturnCase.source_case_id).in_(set(case_ids)))
            .order_by(col(ReturnCase.case_id)))).all()
        for source, case_id, state in rows:  # source: never NULL, it is in case_ids
            found.setdefault(source or 0, []).append(
                ReferralSummary(case_id, state, state not in _NOT_STANDING))
        return found

    async def of_case(self, session: AsyncSession, case_id: int) -> list[ReferralSummary]:
        return (await self.of_cases(session, [case_id])).get(case_id, [])
