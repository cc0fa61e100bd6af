"""The one list of domains the application is made of: add a domain here, and the app, the
services, key rotation, the workflow checks and the demo take it in. The order is the demo's
(a later domain's demo may use what an earlier one made). Importing it imports every table,
which is how Alembic sees them all."""

from __future__ import annotations

from iris_engine import accreditation, grievances, referrals, returns, training
from iris_engine.domain import Domain

__all__ = ["DOMAINS"]

DOMAINS: tuple[Domain, ...] = (training.DOMAIN, accreditation.DOMAIN, referrals.DOMAIN,
                                grievances.DOMAIN, returns.DOMAIN)

