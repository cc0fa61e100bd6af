"""Referrals of grievances to the authority that can act, and the authorities directory."""

from __future__ import annotations

from iris_engine.referrals import hooks as _hooks  # registers the workflow's named hooks
from iris_engine.referrals.authorities import Authorities
from iris_engine.referrals.service import ReferralService

__all__ = ["Authorities", "ReferralService"]

del _hooks
