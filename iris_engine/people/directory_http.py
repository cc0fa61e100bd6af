"""``GET /api/v1/users``: the staff directory, for scheme managers and administrators."""

# no ``from __future__ import annotations``: the handler's parameters are built from the roles
# given at run time, so its annotations must be objects, not names Litestar resolves later
from collections.abc import Sequence
from typing import Annotated, Any

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from iris_engine import bounds
from iris_engine.cases import Principal
from iris_engine.cases.http import MAX_PAGE
from iris_engine.people.directory import AccountView, StaffDirectory
from iris_engine.web.problems import problem_responses

__all__ = ["directory_handlers"]


def directory_handlers(roles: Sequence[str]) -> list[Any]:
    """The directory's handlers; ``roles``: the account roles there are (the ``role`` filter's
    values, so the OpenAPI lists them)."""

    @get("/api/v1/users", operation_id="listUsers", tags=["accounts"],
         summary="List accounts (the staff directory)",
         security=[{"BearerToken": []}], responses=problem_responses(401, 403, 422))
    async def list_users(
        principal: NamedDependency[Principal],
        directory: NamedDependency[StaffDirectory],
        role: Annotated[str | None, QueryParameter(
            max_length=bounds.NAME, enum=tuple(sorted(roles)),
            description="Only accounts holding this role, e.g. auditor.")] = None,
        organisation_id: Annotated[int | None, QueryParameter(
            ge=1, le=bounds.MAX_ID, description="Only accounts of this organisation.")] = None,
        active: Annotated[bool, QueryParameter(
            description="true: accounts that may log in; false: deactivated ones and "
                        "self-registrations whose address is not confirmed yet.")] = True,
        after: Annotated[int, QueryParameter(
            ge=0, le=bounds.MAX_ID, description="The last id of the previous page.")] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> list[AccountView]:
        """The accounts, by id; page with ``after`` (the last id seen). Scheme managers and
        administrators only. Each comes with its current assignments: for an auditor, the
        applications assigned to it in which it still has a part (from the planned audit until
        it refers the case for decision, or completes the surveillance audit), so a scheme
        manager can pick a free auditor. An auditor's ``id`` is the ``auditor_id`` that
        ``plan_audit``, ``start_surveillance`` and ``short_notice_audit`` take
        (``?role=auditor`` lists them)."""
        return await directory.list_for(principal, role=role, organisation_id=organisation_id,
                                        active=active, after=after, limit=limit)

    return [list_users]
