"""Referrals to the authority that can act, from a case of any workflow that refers."""

from __future__ import annotations

from iris_engine.domain import CaseApi, Domain
from iris_engine.referrals.controllers import ReferralController
from iris_engine.referrals.demo import seed_demo
from iris_engine.referrals.desk import Referrals
from iris_engine.referrals.hooks import hooks
from iris_engine.referrals.schemas import ReferralView
from iris_engine.referrals.service import ReferralService

__all__ = ["DOMAIN", "ReferralService"]

DOMAIN = Domain(
    name="referrals",
    hooks=hooks,
    cases=(CaseApi(ReferralService, path="/api/v1/referrals", tag="referrals", noun="Referral",
                   plural="Referrals",
                   view=ReferralView, audience="(an authority those routed to it)",
                   routes=(ReferralController,)),),
    provides=lambda s: {"referrals": ReferralService(s.db, s.engine, s.engine.resources),
                        "referral_desk": Referrals()},
    seed_demo=seed_demo,
)
