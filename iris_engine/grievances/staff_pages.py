"""What the grievance forms of the staff workspace offer by name instead of a number: the
caseworkers a supervisor assigns a case to, the authorities a caseworker refers it to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iris_engine.cases import Principal
from iris_engine.domain import FieldChoices, StaffPages
from iris_engine.grievances.service import WORKFLOW

if TYPE_CHECKING:
    from iris_engine.services import Services

__all__ = ["STAFF_PAGES"]

#: beyond this many, the field stays a number to type (the staff directory lists them)
CHOICES_MAX = 500


async def caseworkers(services: Services, _principal: Principal, _case_id: int
                      ) -> list[tuple[Any, str]]:
    """The active caseworkers, with how many cases each holds (``caseworker_eligible``
    still decides)."""
    found = await services.directory.list(role="caseworker", limit=CHOICES_MAX)
    return [(a.id, f"{a.name}" + (f" ({len(a.current_assignments)} current)"
                                  if a.current_assignments else ""))
            for a in found] if len(found) < CHOICES_MAX else []


async def authorities(services: Services, _principal: Principal, _case_id: int
                      ) -> list[tuple[Any, str]]:
    """The active authorities, each with its jurisdiction and remit (``authority_can_receive``
    still checks the case's countries)."""
    return [(a.id, f"{a.name} ({', '.join(a.countries)}: {', '.join(a.remits)})".replace("_", " "))
            for a in await services.authorities.list() if a.active]


STAFF_PAGES = StaffPages(choices=(FieldChoices(WORKFLOW, "caseworker_id", caseworkers),
                                  FieldChoices(WORKFLOW, "authority_id", authorities)))
