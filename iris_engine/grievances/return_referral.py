"""Referring a grievance's complainant for return assistance (``refer_for_return``): a survivor
of trafficking or forced labour who chooses to go home and consents.

What consent means here (``workflows/grievance.yaml`` says it beside the event): the
complainant agrees to be *referred*, so their identity goes from this grievance to the return
team, who then meet them and ask for consent to return assistance itself. The transition's data
is that consent as given (the text's version, its language, whether an interpreter was used and
who witnessed it, sealed with the event). It is asked of the survivor, so the complainant must
be the survivor (a worker or job seeker), with their contact on file and their agreement to be
contacted; the consent to refer to an authority is neither needed nor enough.

The returns domain opens the enquiry (``ReturnReferralDesk`` among the resources; neither domain
imports the other), in this transaction: a nationality it does not arrange returns to refuses
the whole transition, naming those it does.
"""

from __future__ import annotations

from iris_engine.cases import Principal, Refusal, TransitionContext
from iris_engine.disclosure.return_referrals import (
    ReturnConsentGiven,
    ReturnEnquiry,
    ReturnReferralDesk,
)
from iris_engine.grievances.disclosure import read_identity
from iris_engine.grievances.models import Grievance
from iris_engine.vault import Vault
from iris_engine.workflow import HookRegistry

__all__ = ["RETURN_ALLEGATIONS", "SURVIVOR_ROLES", "hooks"]

hooks = HookRegistry()

#: what a grievance must allege for its complainant to be referred for return assistance
RETURN_ALLEGATIONS = frozenset({"trafficking", "forced_labour"})
#: complainants who are the worker themselves (a family member or representative is not the
#: survivor: their contact is not the survivor's, and the consent is not theirs to give)
SURVIVOR_ROLES = frozenset({"worker", "job_seeker"})
#: why the complainant's identity is read, recorded with the read
PURPOSE = "return referral"
#: the ground of that read
BASIS = "survivor_consent"


@hooks.guard("return_referral_allowed")
async def return_referral_allowed(ctx: TransitionContext) -> None:
    grievance: Grievance = ctx.detail
    if not RETURN_ALLEGATIONS & set(grievance.allegations):
        raise Refusal("return assistance is for survivors of trafficking or forced labour: this "
                      "grievance alleges neither (triage records the allegations)")
    if grievance.complainant_role not in SURVIVOR_ROLES:
        raise Refusal(f"the complainant is a {grievance.complainant_role.replace('_', ' ')}, not "
                      "the survivor: a survivor is referred with their own consent, through a "
                      "referring partner (POST /api/v1/returns)")
    if grievance.identity_sealed is None:
        raise Refusal("no identity is on file (the complainant stayed anonymous, or it was "
                      "erased): a return officer could not reach them")
    if not grievance.consent_contact:
        raise Refusal("the complainant did not agree to be contacted, so their consent to a "
                      "return referral cannot have been asked")
    made = await ctx.resources.get(ReturnReferralDesk).of_case(ctx.session, ctx.case.id or 0)
    standing = [r.case_id for r in made if r.standing]
    if standing:
        raise Refusal(f"already referred for return assistance: return case {standing[0]}")


@hooks.effect("refer_for_return")
async def refer_for_return(ctx: TransitionContext) -> None:
    """Record the read of the complainant's identity, open it, and open the return enquiry."""
    grievance: Grievance = ctx.detail
    data = ctx.request.data
    reader = Principal(ctx.actor.user_id or 0, ctx.actor.organisation_id or 0, ctx.actor.roles)
    identity = await read_identity(ctx.session, ctx.resources.get(Vault), grievance, reader,
                                   role=ctx.actor.role, basis=BASIS, purpose=PURPOSE, now=ctx.now)
    contact = {key: value for key, value in (("name", identity.name), ("phone", identity.phone),
                                             ("email", identity.email), ("other", identity.other))
               if value is not None}
    enquiry = ReturnEnquiry(
        nationality=data.get("nationality", grievance.origin_country), language=data["language"],
        consent=ReturnConsentGiven(text_version=data["text_version"], language=data["language"],
                                   interpreter_used=data["interpreter_used"],
                                   witness=data.get("witness")),
        age_group=data.get("age_group", "adult"),
        in_danger=data.get("in_danger", grievance.in_danger), identity=contact)
    return_case_id = await ctx.resources.get(ReturnReferralDesk).open_from(ctx, enquiry)
    ctx.outcome["return_case_id"] = return_case_id
