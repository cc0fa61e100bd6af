"""Who may see and act on which case: scope comes from the role, not from the workflow."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from iris_engine.store.models import Case

__all__ = ["ROLE_SCOPES", "Principal", "Scope", "roles_in_scope"]


class Scope(Enum):
    ALL = "all"
    ORGANISATION = "organisation"  # cases whose subject is the user's own organisation
    ASSIGNED = "assigned"  # cases assigned to the user
    NONE = "none"


ROLE_SCOPES: dict[str, Scope] = {
    "recruiter": Scope.ORGANISATION,
    "auditor": Scope.ASSIGNED,
    "scheme_manager": Scope.ALL,
    "admin": Scope.ALL,
    "system": Scope.ALL,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the access token describes it."""

    user_id: int
    organisation_id: int
    roles: frozenset[str]
    email: str = ""


def roles_in_scope(principal: Principal, case: Case) -> list[str]:
    """The caller's roles that reach this case, most specific first."""
    out = []
    for role in sorted(principal.roles):
        scope = ROLE_SCOPES.get(role, Scope.NONE)
        if (
            scope is Scope.ALL
            or (scope is Scope.ORGANISATION and case.organisation_id == principal.organisation_id)
            or (scope is Scope.ASSIGNED and case.assignee_id == principal.user_id)
        ):
            out.append(role)
    return out
