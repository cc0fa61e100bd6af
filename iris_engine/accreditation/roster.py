"""The accreditation domain's projection onto the public roster, written inside the transition
that changes it (the roster package owns the tables, the search and the feed)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from iris_engine.accreditation.models import Accreditation, AccreditationScope
from iris_engine.accreditation.roster_scope import corridor_countries, scope_of
from iris_engine.names import look_alike_digests
from iris_engine.roster.models import RosterChange, RosterCountry, RosterEntry, RosterMeta
from iris_engine.store.db import before_commit, run_in, scalar_in
from iris_engine.store.models import Organisation
from iris_engine.store.rows import new_row

__all__ = ["PUBLIC_STATUS", "UNDER_APPEAL", "publish"]

#: session.info: LRN -> what a publish of this transaction will write to its entry
_PENDING = "iris_roster_pending"
#: the version row, written as a table: an ORM update would search the session to synchronise
_META: Table = RosterMeta.__table__  # type: ignore[attr-defined]
_ENTRIES: Table = RosterEntry.__table__  # type: ignore[attr-defined]
_CHANGES: Table = RosterChange.__table__  # type: ignore[attr-defined]
#: the parameters other than ``of_lrn`` name the columns it sets (built once)
_UPDATE_ENTRY = update(_ENTRIES).where(_ENTRIES.c.lrn == bindparam("of_lrn"))
_INSERT_CHANGE = insert(_CHANGES)
#: ``_published_from``'s statement (built once: building it cost more than running it)
_SOURCES = (select(Organisation, RosterEntry, AccreditationScope).select_from(Organisation)
            .outerjoin(RosterEntry, col(RosterEntry.lrn) == bindparam("lrn"))
            .outerjoin(AccreditationScope,
                       col(AccreditationScope.case_id) == bindparam("case_id"))
            .where(col(Organisation.id) == bindparam("organisation_id")))
_NEXT_VERSION = (update(_META).where(_META.c.id == 1).values(version=_META.c.version + 1)
                 .returning(_META.c.version))

#: workflow state -> what the public sees. States not listed never reach the roster.
PUBLIC_STATUS = {
    "accredited": "accredited",
    "surveillance": "accredited",
    "under_review": "accredited",  # an allegation never changes the roster; a decision does
    "suspended": "suspended",
    "withdrawn": "withdrawn",
    "expired": "expired",
    # appeals and licences: what the public needs to know, never why
    "licence_review": "accredited",  # still accredited until the review period ends
    "suspension_appeal": "suspended",
    "withdrawal_appeal": "withdrawn",
    "withdrawn_final": "withdrawn",
    # lifecycle-cycle: a renewal or a restoration under way changes nothing the public sees
    # until its decision (which is the transition that syncs the roster)
    "recertification": "accredited",
    "recertification_review": "accredited",
    "recertification_audit": "accredited",
    "recertification_audited": "accredited",
    "recertification_decision": "accredited",
    "restoration": "expired",
    "restoration_review": "expired",
    "restoration_audit": "expired",
    "restoration_audited": "expired",
    "restoration_decision": "expired",
    "ended": "expired",
}
#: states whose public status is under appeal ("suspended, under appeal")
UNDER_APPEAL = frozenset({"suspension_appeal", "withdrawal_appeal"})


def _countries(detail: Accreditation, organisation: Organisation) -> list[str]:
    try:
        listed = detail.self_assessment["principles"]["A"]["countries_of_operation"]  # type: ignore[index]
    except (KeyError, TypeError):
        listed = []
    return sorted({organisation.country, *(c for c in listed if isinstance(c, str))})


async def _sync_countries(session: AsyncSession, lrn: str, *, old: list[str], new: list[str],
                          old_key: str, new_key: str, status: str) -> None:
    """Bring the entry's roster_country rows from ``old`` countries and sort key to ``new``
    ones, with a statement only for what differs (a country added takes the entry's current
    ``status``; a change of status reaches every country row through the database's trigger,
    when the entry's own row is written)."""
    gone = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    if gone:
        await session.execute(delete(RosterCountry).where(
            col(RosterCountry.lrn) == lrn, col(RosterCountry.country).in_(gone)))
    if new_key != old_key and set(old) & set(new):
        await session.execute(update(RosterCountry).where(col(RosterCountry.lrn) == lrn)
                              .values(name_key=new_key))
    if added:
        await session.execute(insert(RosterCountry), [
            {"lrn": lrn, "country": c, "name_key": new_key, "status": status} for c in added])


async def _published_from(session: AsyncSession, organisation_id: int, lrn: str,
                          case_id: int) -> tuple[Organisation, RosterEntry | None, Mapping[str, Any]]:
    """What an entry is made from, in one statement: the organisation, its entry (None before
    the first publication) and the case's scope. Rows this transaction holds already are the
    ones answered (a change to them is flushed first)."""
    organisation, entry, scope = (await session.execute(_SOURCES, {
        "organisation_id": organisation_id, "lrn": lrn, "case_id": case_id})).one()
    return organisation, entry, scope_of(scope)


async def publish(session: AsyncSession, *, state: str, detail: Accreditation,
                  organisation_id: int, now: datetime, event_seq: int,
                  ) -> RosterChange | None:
    """Upsert the entry for this accreditation and move the roster version on; answers the
    change-feed row when the public status changed (None when it did not). The entry is the
    organisation's, keyed by its one LRN: it follows the case that last changed it.

    The version and the change's ``seq`` are taken just before the transaction commits
    (``before_commit``): the version row is locked from then to COMMIT, which hands versions
    out in commit order (the change feed is numbered with them, and a reader never skips
    one) while holding the lock for a round trip, not the whole transition; a step given to
    ``before_commit`` after this call sees the change numbered. ``event_seq`` is the number of
    the case event this change belongs to, kept on the change so the audit can tie them."""
    status = PUBLIC_STATUS[state]
    under_appeal = state in UNDER_APPEAL
    assert detail.lrn and detail.accredited_on and detail.valid_until
    organisation, entry, scope = await _published_from(session, organisation_id, detail.lrn,
                                                       detail.case_id)
    pending: dict[str, dict[str, object]] = session.info.setdefault(_PENDING, {})
    if entry is not None and detail.lrn in pending:
        # published before in this transaction, its values not written yet: start from them
        for name, value in pending.pop(detail.lrn).items():
            setattr(entry, name, value)
    # the countries the recruiter says it operates in, and those its scope's corridors cover
    countries = sorted({*_countries(detail, organisation), *corridor_countries(scope)})
    previous = entry.status if entry is not None else None
    was_under_appeal = entry.under_appeal if entry is not None else False
    name_key = organisation.name.casefold()
    #: what the entry becomes; written with the version it changes in (``number`` below)
    values: dict[str, object] = {
        "status": status, "under_appeal": under_appeal, "case_id": detail.case_id,
        "countries": " ".join(countries), "accredited_on": detail.accredited_on,
        "valid_until": detail.valid_until, "updated_at": now}
    if entry is None:
        look_alike = look_alike_digests(organisation.name)
        entry = RosterEntry(lrn=detail.lrn, name=organisation.name, name_key=name_key,
                            skeleton_digest=look_alike.exact,
                            folded_skeleton_digest=look_alike.folded, country=organisation.country,
                            status_since=now.date(), **values)  # type: ignore[arg-type]
        session.add(entry)
        await session.flush()  # the entry before the rows that refer to it
        session.add_all([RosterCountry(lrn=detail.lrn, country=c, name_key=name_key,
                                       status=status) for c in countries])
    else:
        # the entry's own columns say what roster_country holds (its countries, its sort key):
        # only a difference is written, so a status change writes no country row itself (the
        # database's trigger carries the entry's new status to them)
        await _sync_countries(session, detail.lrn, old=entry.countries.split(), new=countries,
                              old_key=entry.name_key, new_key=name_key, status=entry.status)
        if entry.status != status:
            values["status_since"] = now.date()
        if entry.name != organisation.name:  # the digests are costly: only for a new name
            look_alike = look_alike_digests(organisation.name)
            values.update(name=organisation.name, name_key=name_key,
                          skeleton_digest=look_alike.exact,
                          folded_skeleton_digest=look_alike.folded)
    change = None
    if previous != status or was_under_appeal != under_appeal:
        change = new_row(RosterChange, seq=0, lrn=detail.lrn, name=organisation.name,
                         status=status, previous_status=previous, under_appeal=under_appeal,
                         valid_until=detail.valid_until, changed_at=now,
                         case_id=detail.case_id, event_seq=event_seq)
    held = entry
    pending[detail.lrn] = values

    async def number(session: AsyncSession) -> None:
        version = int(await scalar_in(session, _NEXT_VERSION, {}) or 0)
        # the entry's new values and the version they are of, in one UPDATE: a cache that
        # holds pages of an older version asks which entries changed since (roster.service).
        # Written as tables (the ORM's flush cost more than the statements); the loaded entry
        # is left as if the ORM had written it.
        values = {name: value for name, value in pending.pop(held.lrn, {}).items()
                  if getattr(held, name) != value}
        values["changed_in"] = version
        for name, value in values.items():
            set_committed_value(held, name, value)
        await run_in(session, _UPDATE_ENTRY, {"of_lrn": held.lrn, **values})
        if change is not None:
            change.seq = version
            await run_in(session, _INSERT_CHANGE, {
                column.key: getattr(change, column.key) for column in _CHANGES.c})

    before_commit(session, number)
    return change
