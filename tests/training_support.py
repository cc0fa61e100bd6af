"""Training for tests of other domains: certified staff of an organisation, fast, through the
services (a coordinator's bulk enrolment, the trainer's attendance record)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iris_engine.training.staffing import certify_organisation_staff

if TYPE_CHECKING:
    from tests.integration.conftest import World

__all__ = ["certify_staff"]


async def certify_staff(world: World, organisation_id: int, count: int = 1) -> list[str]:
    """Certify ``count`` staff of the organisation in the accreditation-prerequisite course
    (a session held yesterday); answers their certificate numbers."""
    return await certify_organisation_staff(world.services, organisation_id, count,
                                            now=world.clock())
