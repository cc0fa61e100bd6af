"""Names that may pass for another recruiter's: looked for when a recruiter organisation is added
and when it submits an application, and kept for the scheme manager. A flag, never a refusal: a
real recruiter may be called much like another, and the scheme manager decides (accepting such
an application needs a note saying why; see the guard ``name_resemblance_explained``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.accreditation.models import NameResemblance
from iris_engine.names import look_alike_digests, mixed_script_words
from iris_engine.roster.models import RosterEntry
from iris_engine.store.models import Case, Organisation

__all__ = ["REGISTRATION", "Resemblance", "for_application", "on_organisation_added", "record",
           "resemblances"]

#: ``found_on`` of what was found as the organisation was added (otherwise: the event's name)
REGISTRATION = "registration"


@dataclass(frozen=True, slots=True)
class Resemblance:
    kind: str  # look_alike | mixed_script
    detail: str
    lrn: str | None = None
    name: str | None = None


def _look_alike(name: str, lrn: str, listed: str) -> Resemblance:
    if listed == name:
        how = "is the same name as"
    elif listed.casefold() == name.casefold():
        how = "differs only in capitals from"
    else:
        how = "looks like"
    return Resemblance("look_alike", f"“{name}” {how} “{listed}” ({lrn}) on the roster", lrn, listed)


async def resemblances(session: AsyncSession, *, organisation_id: int,
                       name: str) -> list[Resemblance]:
    """Roster entries of other organisations whose names look like ``name``, and the words of
    ``name`` that mix scripts."""
    digests = look_alike_digests(name)
    rows = (await session.execute(
        select(col(RosterEntry.lrn), col(RosterEntry.name))
        .join(Case, col(Case.id) == col(RosterEntry.case_id))
        .where(or_(col(RosterEntry.skeleton_digest) == digests.exact,
                   col(RosterEntry.folded_skeleton_digest) == digests.folded),
               col(Case.organisation_id) != organisation_id)
        .order_by(col(RosterEntry.lrn)))).all()
    found = [_look_alike(name, lrn, listed) for lrn, listed in rows]
    found += [Resemblance("mixed_script", f"{word.describe()}, as a look-alike name would")
              for word in mixed_script_words(name)]
    return found


async def record(session: AsyncSession, *, organisation: Organisation, case_id: int | None,
                 found_on: str, now: datetime) -> list[NameResemblance]:
    """Look for resemblances of the organisation's name now, and keep what is found."""
    rows = [NameResemblance(organisation_id=organisation.id or 0, case_id=case_id,
                            found_on=found_on, kind=r.kind, name=organisation.name,
                            resembles_lrn=r.lrn, resembles_name=r.name, detail=r.detail,
                            found_at=now)
            for r in await resemblances(session, organisation_id=organisation.id or 0,
                                        name=organisation.name)]
    session.add_all(rows)
    await session.flush()
    return rows


async def on_organisation_added(session: AsyncSession, organisation: Organisation) -> None:
    """The domain's part in adding an organisation: a recruiter's name is looked at at once."""
    if organisation.kind == "recruiter":
        await record(session, organisation=organisation, case_id=None, found_on=REGISTRATION,
                     now=organisation.created_at)


async def for_application(session: AsyncSession, case: Case, *,
                          with_registration: bool = True) -> list[NameResemblance]:
    """What was found on this application (and, unless told not to, when its organisation
    registered), oldest first."""
    found_here = col(NameResemblance.case_id) == case.id
    where = found_here if not with_registration else or_(found_here, (
        col(NameResemblance.organisation_id) == case.organisation_id)
        & col(NameResemblance.case_id).is_(None))
    return list((await session.scalars(
        select(NameResemblance).where(where).order_by(col(NameResemblance.id)))).all())
