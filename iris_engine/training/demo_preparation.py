"""Training readies a demo organisation before another domain's demo acts for it
(``Domain.prepare_demo_organisation``): one of its staff certified in the accreditation
prerequisite course, through the real flow, so the recruiter's ``submit`` finds a certified
person (accreditation's ``prerequisite_training_held``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iris_engine.training.staffing import PREREQUISITE, certify_organisation_staff

if TYPE_CHECKING:
    from iris_engine.domain import DemoSeed

__all__ = ["certify_one_of_its_staff"]


async def certify_one_of_its_staff(seed: DemoSeed, organisation_id: int) -> None:
    """One staff member of the organisation certified in the prerequisite course (a session
    held the day before the demo's now)."""
    await certify_organisation_staff(seed.services, organisation_id, 1, now=seed.now,
                                     course_key=PREREQUISITE)
