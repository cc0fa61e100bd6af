"""HTTP for the origin-country partners directory: return staff read it, admins add to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.returns.partners import ReturnPartners
from iris_engine.returns.schemas import ReturnPartnerCreate, ReturnPartnerView
from iris_engine.web.problems import problem_responses

__all__ = ["ReturnPartnerController"]


class ReturnPartnerController(Controller):
    path = "/api/v1/return-partners"
    tags = ("returns",)
    security = ({"BearerToken": []},)

    @get("/", operation_id="listReturnPartners", responses=problem_responses(401, 403, 422))
    async def list_partners(
        self, principal: NamedDependency[Principal],
        return_partners: NamedDependency[ReturnPartners],
        country: Annotated[str | None, QueryParameter(
            min_length=bounds.COUNTRY, max_length=bounds.COUNTRY,
            description="Only the partners receiving survivors in this country (ISO 3166-1)",
        )] = None,
    ) -> Sequence[ReturnPartnerView]:
        """The directory: countries, services and whether active (return staff and admins)."""
        return await return_partners.list(principal, country=country)

    @post("/", operation_id="addReturnPartner", status_code=201,
          responses=problem_responses(401, 403, 422))
    async def add(self, data: JSONBody[ReturnPartnerCreate], principal: NamedDependency[Principal],
                  return_partners: NamedDependency[ReturnPartners]) -> ReturnPartnerView:
        """Add an origin-country partner and its organisation (admins); its users are added
        with role partner."""
        return await return_partners.add(principal, data)
