"""The origin-country partners directory: who receives survivors where, and with which services.

A partner is an organisation of kind ``partner`` (its users hold role ``partner``) with a
``ReturnPartner`` row naming the countries it receives survivors in and the services it
provides. Return staff read the directory to choose the partner a case is shared with
(``share_with_partner`` checks the choice against it); admins add to it, over HTTP or with
``iris returns partners add``. The services are the workflow's own service kinds, so a new kind
is a change to ``workflows/return.yaml`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import CaseEngine, Principal
from iris_engine.clock import Clock
from iris_engine.countries import is_country
from iris_engine.errors import FieldError, Forbidden, InvalidInput
from iris_engine.people import People
from iris_engine.returns.models import ReturnPartner
from iris_engine.returns.schemas import ReturnPartnerCreate, ReturnPartnerView
from iris_engine.store.db import Database
from iris_engine.workflow.spec import WorkflowSpec

__all__ = ["DIRECTORY_READERS", "ReturnPartners", "partner_view", "partners_serving",
           "service_kinds"]

#: who reads the directory (admins also maintain it)
DIRECTORY_READERS = frozenset({"return_officer", "return_supervisor", "admin"})


def partner_view(p: ReturnPartner) -> ReturnPartnerView:
    return ReturnPartnerView(id=p.id or 0, organisation_id=p.organisation_id, name=p.name,
                             countries=p.countries.split(), services=p.services.split(),
                             active=p.active)


def service_kinds(spec: WorkflowSpec) -> tuple[str, ...]:
    """The service kinds a return plan names: the ``kind`` of the ``plan_service`` event."""
    for transition in spec.transitions:
        if transition.event == "plan_service" and transition.data_schema is not None:
            return tuple(transition.data_schema["properties"]["kind"]["enum"])
    raise LookupError("the return workflow has no plan_service event naming service kinds")


async def partners_serving(session: AsyncSession, country: str) -> list[ReturnPartner]:
    """The active partners receiving survivors in ``country``, by name."""
    rows = await session.scalars(select(ReturnPartner).where(col(ReturnPartner.active))
                                 .order_by(col(ReturnPartner.name), col(ReturnPartner.id)))
    return [p for p in rows.all() if country in p.countries.split()]


class ReturnPartners:
    def __init__(self, db: Database, engine: CaseEngine, people: People, clock: Clock) -> None:
        self.db = db
        self.engine = engine
        self.people = people
        self.clock = clock

    def _check(self, data: ReturnPartnerCreate) -> tuple[list[str], list[str]]:
        known = service_kinds(self.engine.catalog.machine("return").spec)
        errors = [FieldError(f"/countries/{i}", "an ISO 3166-1 alpha-2 country code")
                  for i, code in enumerate(data.countries) if not is_country(code)]
        errors += [FieldError(f"/services/{i}", "one of " + ", ".join(known))
                   for i, kind in enumerate(data.services) if kind not in known]
        if errors:
            raise InvalidInput("the partner cannot be added as written", errors=errors)
        return list(dict.fromkeys(data.countries)), list(dict.fromkeys(data.services))

    async def add(self, principal: Principal | None, data: ReturnPartnerCreate) -> ReturnPartnerView:
        """Add a partner and its organisation (admins; ``None``: the command line). Its users
        are then added with ``iris users add --kind partner --role partner``."""
        if principal is not None and "admin" not in principal.roles:
            raise Forbidden("only an admin maintains the return partners directory")
        countries, services = self._check(data)
        async with self.db.write() as session:
            org = await self.people.add_organisation(session, kind="partner", name=data.name,
                                                     country=countries[0])
            row = ReturnPartner(organisation_id=org.id or 0, name=org.name,
                                countries=" ".join(countries), services=" ".join(services),
                                created_at=self.clock())
            session.add(row)
            await session.flush()
            return partner_view(row)

    async def list(self, principal: Principal | None, *, country: str | None = None,
                   ) -> Sequence[ReturnPartnerView]:
        """The directory (return staff and admins), by name; ``country``: those receiving
        survivors there."""
        if principal is not None and not principal.roles & DIRECTORY_READERS:
            raise Forbidden("the return partners directory is for return officers, return "
                            "supervisors and admins")
        if country is not None and not is_country(country):
            raise InvalidInput("no such country",
                               errors=[FieldError("/country", "an ISO 3166-1 alpha-2 code")])
        async with self.db.read() as session:
            rows = (await session.scalars(select(ReturnPartner).order_by(
                col(ReturnPartner.name), col(ReturnPartner.id)))).all()
            return [partner_view(p) for p in rows
                    if country is None or country in p.countries.split()]
