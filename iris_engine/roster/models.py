"""The public roster's read model, its change feed and its subscribers (never personal data)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from iris_engine import bounds

__all__ = ["RosterChange", "RosterCorridor", "RosterCountry", "RosterEntry", "RosterMeta",
           "RosterSector", "Subscription"]


class RosterEntry(SQLModel, table=True):
    """The public read model: only what the public may see, never personal data."""

    __tablename__ = "roster_entry"
    __table_args__ = (
        Index("ix_roster_sort", "name_key", "lrn"),
        Index("ix_roster_status_sort", "status", "name_key", "lrn"),
    )

    lrn: str = Field(primary_key=True, max_length=bounds.LRN)
    case_id: int = Field(foreign_key="case_file.id", unique=True)
    name: str = Field(max_length=bounds.ORGANISATION_NAME)
    name_key: str = Field(max_length=bounds.ORGANISATION_NAME)  # lower-cased: search, sort key
    #: names that look alike share one of these (``iris_engine.names.look_alike_digests``)
    skeleton_digest: str = Field(max_length=64, index=True)
    folded_skeleton_digest: str = Field(max_length=64, index=True)
    country: str = Field(max_length=2)
    countries: str = Field(max_length=bounds.COUNTRIES_TEXT)  # space-separated ISO codes, shown
    status: str = Field(max_length=20)  # accredited | suspended | withdrawn | expired
    #: the recruiter appealed the suspension or withdrawal the status shows; undecided yet
    under_appeal: bool = False
    accredited_on: date
    valid_until: date
    status_since: date
    updated_at: datetime
    #: the roster version that last changed this entry (set as the version is taken): a
    #: process's cache asks which entries moved since the version its pages are of
    changed_in: int = Field(default=0, index=True, sa_column_kwargs={"server_default": "0"})


class RosterCountry(SQLModel, table=True):
    """A country an entry's recruiter works in. It carries the entry's sort key and status, so
    a search by country (and status) reads its page in roster order from
    ``ix_roster_country_sort`` (``ix_roster_country_status_sort``) instead of sorting every
    entry of the country, and its name index is partitioned by both (the projection keeps
    ``name_key`` in step; the database keeps ``status``: migration 0018's triggers)."""

    __tablename__ = "roster_country"
    __table_args__ = (Index("ix_roster_country_sort", "country", "name_key", "lrn"),
                      Index("ix_roster_country_status_sort", "country", "status", "name_key",
                            "lrn"))

    lrn: str = Field(foreign_key="roster_entry.lrn", primary_key=True, max_length=bounds.LRN)
    country: str = Field(primary_key=True, max_length=2)
    name_key: str = Field(max_length=bounds.ORGANISATION_NAME)  # = roster_entry.name_key
    status: str = Field(max_length=20)  # = roster_entry.status


class RosterCorridor(SQLModel, table=True):
    """A corridor (origin -> destination country) the accreditation covers: searchable by
    origin, by destination or both, each from an index."""

    __tablename__ = "roster_corridor"
    __table_args__ = (Index("ix_roster_corridor_origin", "origin", "destination", "lrn"),
                      Index("ix_roster_corridor_destination", "destination", "lrn"))

    lrn: str = Field(foreign_key="roster_entry.lrn", primary_key=True, max_length=bounds.LRN)
    origin: str = Field(primary_key=True, max_length=bounds.COUNTRY)
    destination: str = Field(primary_key=True, max_length=bounds.COUNTRY)


class RosterSector(SQLModel, table=True):
    """A sector the accreditation covers (an identifier from the workflow's ``sectors``)."""

    __tablename__ = "roster_sector"
    __table_args__ = (Index("ix_roster_sector_lookup", "sector", "lrn"),)

    lrn: str = Field(foreign_key="roster_entry.lrn", primary_key=True, max_length=bounds.LRN)
    sector: str = Field(primary_key=True, max_length=bounds.NAME)


class RosterMeta(SQLModel, table=True):
    """One row; ``version`` moves with every roster change (cache key and ETag seed)."""

    __tablename__ = "roster_meta"

    id: int = Field(default=1, primary_key=True)
    version: int = 0


class RosterChange(SQLModel, table=True):
    """The public change feed. ``seq`` is the roster version the change produced: changes are
    numbered under the roster_meta row lock, taken just before COMMIT, so they are
    gap-tolerant and in commit order."""

    __tablename__ = "roster_change"

    seq: int = Field(primary_key=True)
    lrn: str = Field(foreign_key="roster_entry.lrn", index=True, max_length=bounds.LRN)
    name: str = Field(max_length=bounds.ORGANISATION_NAME)
    status: str = Field(max_length=20)
    previous_status: str | None = Field(default=None, max_length=20)
    #: the status is under appeal (a change of this alone is a change too)
    under_appeal: bool = False
    valid_until: date
    changed_at: datetime
    #: the case event that made the change (``iris audit verify`` ties them); None on changes
    #: made before migration 0016, whose event names the change's ``seq`` instead
    case_id: int | None = None
    event_seq: int | None = None


class Subscription(SQLModel, table=True):
    """Someone who wants to hear of a topic: a recruiter's roster status changes (``lrn``
    names it), or another topic the platform publishes (the audit anchors)."""

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(default="roster.status_changed", index=True, max_length=50)
    #: the recruiter whose status changes are sent (the roster topic only)
    lrn: str | None = Field(default=None, foreign_key="roster_entry.lrn", index=True,
                            max_length=bounds.LRN)
    channel: str = Field(max_length=10)  # email | webhook
    target: str = Field(max_length=bounds.URL)  # e-mail address or URL
    #: HMAC key that signs webhook deliveries (shown once, when subscribing), sealed by the vault
    secret: str | None = None
    #: sha256 of the token that confirms (e-mail) and cancels the subscription
    token_hash: str = Field(max_length=64, unique=True)
    #: pending (e-mail: unconfirmed; webhook: its challenge unanswered) | active | cancelled |
    #: expired (a webhook that did not answer its challenge in time)
    status: str = Field(max_length=10)
    created_at: datetime
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    #: a webhook's challenge must be answered by then
    verify_by: datetime | None = None
