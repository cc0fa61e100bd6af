"""The training a recruiter must hold before it applies (IRIS asks for its capacity-building
training first): the workflow setting ``prerequisite_training: {courses, people}`` and the
``submit`` guard that checks it against the training records.

Accreditation does not import training: it asks the ``Qualifications`` some domain provides
(``iris_engine.qualifications``). With none installed the guard refuses: a requirement that
nobody can check is not met (closed by default)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iris_engine.accreditation.hooks import hooks
from iris_engine.cases import Refusal, TransitionContext
from iris_engine.qualifications import CourseOffer, Qualifications

__all__ = ["PrerequisiteTraining", "prerequisite_training_held"]

SETTING = "prerequisite_training"


@dataclass(frozen=True, slots=True)
class PrerequisiteTraining:
    """How many people (``people``) must hold a valid certificate of one of ``courses``."""

    courses: tuple[str, ...]
    people: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> PrerequisiteTraining:
        """Read the workflow's setting; a malformed one is refused as a configuration error."""
        raw = settings.get(SETTING)
        if not isinstance(raw, Mapping):
            raise Refusal(f"the workflow's settings have no {SETTING} (courses and people): "
                          "a configuration error for the scheme's administrator")
        courses, people = raw.get("courses"), raw.get("people")
        if (not isinstance(people, int) or isinstance(people, bool) or people < 0
                or not isinstance(courses, list)
                or not all(isinstance(c, str) and c for c in courses)
                or (people and not courses)):
            raise Refusal(f"the workflow's {SETTING} setting must name courses (a list of course "
                          "keys) and people (a whole number, 0 or more): a configuration error "
                          "for the scheme's administrator")
        return cls(tuple(courses), people)


def _people(n: int) -> str:
    return f"{n} person" if n == 1 else f"{n} people"


def _how_to_enrol(keys: Sequence[str], offers: Sequence[CourseOffer]) -> str:
    """One clause per course: its title, where to enrol and the next session open."""
    by_key = {offer.course_key: offer for offer in offers}
    parts = []
    for key in keys:
        offer = by_key.get(key)
        if offer is None:
            parts.append(f"{key!r} (not in the training catalogue yet)")
            continue
        when = (f"next session {offer.next_session_starts.isoformat()}"
                if offer.next_session_starts else "no session open for registration yet")
        parts.append(f"{offer.title!r} ({key}): enrol at GET {offer.enrol_href} ({when})")
    return "; ".join(parts)


@hooks.guard("prerequisite_training_held")
async def prerequisite_training_held(ctx: TransitionContext) -> None:
    """At least ``people`` of the recruiter's organisation hold, today, a certificate of one of
    the prerequisite courses that is neither revoked nor past its validity."""
    required = PrerequisiteTraining.from_settings(ctx.workflow_settings)
    if required.people == 0:
        return
    try:
        # an abstract protocol is what is asked for: whichever domain's records implement it
        records = ctx.resources.get(Qualifications)  # type: ignore[type-abstract]
    except LookupError:
        raise Refusal("no training records are connected to accreditation (no Qualifications "
                      f"provider is installed), so the {SETTING} requirement cannot be checked: "
                      "a configuration error for the scheme's administrator") from None
    organisation_id = ctx.case.organisation_id
    held = 0 if organisation_id is None else await records.holders(
        ctx.session, organisation_id=organisation_id, course_keys=required.courses,
        on=ctx.now.date())
    if held >= required.people:
        return
    offers = await records.offers(ctx.session, required.courses)
    which = " or ".join(required.courses)
    raise Refusal(
        f"the organisation needs {_people(required.people)} holding a valid certificate of "
        f"the prerequisite training ({which}) and has {held}; its staff enrol through their "
        f"organisation's coordinator: {_how_to_enrol(required.courses, offers)}")
