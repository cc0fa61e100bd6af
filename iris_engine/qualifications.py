"""Who holds a valid certificate of a course: what one domain (training) knows and another
(accreditation, whose ``submit`` needs a certified person) asks, without either importing the
other. The domain that keeps training records provides a ``Qualifications``; hooks find it
among their resources (``ctx.resources.get(Qualifications)``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["CourseOffer", "Qualifications"]


@dataclass(frozen=True, slots=True)
class CourseOffer:
    """How a person gets a course's certificate: what a refusal tells the one refused."""

    course_key: str
    title: str
    #: where to enrol (the sessions open for registration), as a path of the API
    enrol_href: str
    #: the next session open for registration, if any
    next_session_starts: date | None = None


class Qualifications(ABC):
    @abstractmethod
    async def holders(self, session: AsyncSession, *, organisation_id: int,
                      course_keys: Sequence[str], on: date) -> int:
        """How many people of the organisation hold, on ``on``, a certificate of one of the
        courses that is neither revoked nor past its validity."""

    @abstractmethod
    async def offers(self, session: AsyncSession, course_keys: Sequence[str]) -> list[CourseOffer]:
        """The courses (their latest versions) and where to enrol in each."""
