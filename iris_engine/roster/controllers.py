"""The public roster: no login, cacheable, ETag and 304."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from email.utils import format_datetime
from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Response, get, post
from litestar.datastructures import CacheControlHeader, ETag
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.response import File
from litestar.types import Scope
from msgspec import Meta

from iris_engine import bounds
from iris_engine.roster.exports import ExportFormat, RosterExports
from iris_engine.roster.models import Subscription
from iris_engine.roster.service import CachedPage, PublicStatus, Roster, RosterQuery
from iris_engine.roster.subscriptions import EMAIL_PATTERN, Subscriptions
from iris_engine.web.again import answer_again
from iris_engine.web.encoding import VARY, KeptResponse
from iris_engine.web.problems import problem_responses

__all__ = ["SubscriptionView", "roster_handlers", "subscription_view"]

IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match", required=False,
                                                     max_length=bounds.ENTITY_TAG,
                                                     pattern=bounds.NO_NUL)]
Lrn = Annotated[str, PathParameter(min_length=1, max_length=bounds.LRN, pattern=bounds.NO_NUL,
                                   description="Certificate number, e.g. IRIS000123")]
_PUBLIC = {"exclude_from_auth": True}
#: roster reads may be cached briefly by anyone (the app's default is no-store)
_CACHEABLE = CacheControlHeader(public=True, max_age=5)
CountryFilter = Annotated[str | None, QueryParameter(
    min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2, e.g. NP")]


class Corridor(msgspec.Struct):
    """Workers recruited in ``origin`` for work in ``destination`` (ISO 3166-1 alpha-2)."""

    origin: str
    destination: str


class RosterItem(msgspec.Struct):
    """A recruiter on the public roster (``current``: may recruit now). ``corridors`` and
    ``sectors`` are the scope its accreditation covers (empty for one granted before scopes
    were recorded); ``countries_of_operation`` are those its self-assessment declares and those
    its corridors name."""

    lrn: str
    name: str
    country: str
    countries_of_operation: list[str]
    status: PublicStatus
    current: bool
    #: the recruiter appealed this suspension or withdrawal and the appeal is undecided
    under_appeal: bool
    accredited_on: date
    valid_until: date
    status_since: date
    corridors: list[Corridor]
    #: identifiers from the accreditation workflow's ``sectors`` setting
    sectors: list[str]


class RosterPage(msgspec.Struct):
    items: list[RosterItem]
    #: pass as ``cursor`` for the next page (the LRN of this page's last entry); None on the last
    next_cursor: str | None
    roster_version: int


class RosterEntryDocument(msgspec.Struct):
    entry: RosterItem
    roster_version: int


#: a conditional GET whose ETag still matches
_NOT_MODIFIED = {304: ResponseSpec(data_container=None, description="Not modified: your copy "
                                   "(If-None-Match) is current", generate_examples=False)}


def _kept(page: CachedPage, scope: Scope) -> KeptResponse:
    """The cached page's bytes, already encoded in the documented shape: gzipped when the
    client takes that (``iris_engine.web.encoding``), each form with its own ETag."""

    def make(body: bytes, gzipped: bool) -> KeptResponse:
        headers = ({"ETag": page.gzip_etag, "Content-Encoding": "gzip", "Vary": VARY}
                   if gzipped else {"ETag": page.etag, "Vary": VARY})
        return KeptResponse(body, media_type="application/json", headers=headers)

    return page.encoded.response(scope, make)


async def _page_response(read: Callable[[], Awaitable[CachedPage]], if_none_match: str | None,
                         scope: Scope) -> Response[Any]:
    """The page ``read`` gives, for this client, or 304 if its copy is current. The same path
    and query string are answered from ``read`` next time (``answer_again``)."""
    page = await read()

    async def again(scope: Scope) -> KeptResponse:
        return _kept(await read(), scope)

    answer_again(scope, again)
    kept = _kept(page, scope)
    if if_none_match and kept.headers["ETag"] in {t.strip() for t in if_none_match.split(",")}:
        return Response(b"", status_code=304, headers=kept.headers)
    return kept


def _sectors(app: Litestar) -> list[str]:
    """The sectors a search may name, for the OpenAPI document (the check reads the same)."""
    return sorted(app.state.services.roster.sectors or ())


@get("/api/v1/roster", operation_id="searchRoster", tags=["roster"],
     opt={**_PUBLIC, "query_values": {"sector": _sectors}},
     cache_control=_CACHEABLE, responses={**problem_responses(404, 422), **_NOT_MODIFIED})
async def search_roster(
    roster: NamedDependency[Roster],
    scope: Scope,
    if_none_match: IfNoneMatch = None,
    q: Annotated[str | None, QueryParameter(max_length=bounds.SEARCH, pattern=bounds.NO_NUL)] = None,
    lrn: Annotated[str | None, QueryParameter(max_length=bounds.LRN, pattern=bounds.NO_NUL)] = None,
    country: CountryFilter = None,
    status: FromQuery[list[PublicStatus] | None] = None,
    origin: CountryFilter = None,
    destination: CountryFilter = None,
    sector: Annotated[str | None, QueryParameter(
        min_length=1, max_length=bounds.NAME, pattern=bounds.NAME_PATTERN,
        description="A sector the accreditation covers, e.g. construction (from the "
                    "accreditation workflow's sectors setting)")] = None,
    cursor: Annotated[str | None, QueryParameter(
        max_length=bounds.LRN, pattern=bounds.NO_NUL,
        description="next_cursor of the previous page (the LRN of its last entry)")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> Response[RosterPage]:
    """Search accredited, suspended, withdrawn and expired recruiters, ordered by name.

    ``q`` matches part of the name, ``lrn`` a certificate number or its start, ``country`` a
    country of operation; ``status`` may repeat. ``origin`` and ``destination`` find the
    recruiters whose scope covers a corridor from, to, or (both given) between two countries,
    ``sector`` those whose scope covers the sector. Follow ``next_cursor`` for the next page.
    """
    query = RosterQuery(q=q, lrn=lrn, country=country, status=tuple(status or ()), cursor=cursor,
                        limit=limit, origin=origin, destination=destination, sector=sector)
    return await _page_response(partial(roster.search, query), if_none_match, scope)


@get("/api/v1/roster/{lrn:str}", operation_id="getRosterEntry", tags=["roster"], opt=_PUBLIC,
     cache_control=_CACHEABLE, responses={**problem_responses(404), **_NOT_MODIFIED})
async def get_roster_entry(roster: NamedDependency[Roster], lrn: Lrn, scope: Scope,
                           if_none_match: IfNoneMatch = None) -> Response[RosterEntryDocument]:
    """One recruiter's public entry by certificate number (LRN)."""
    return await _page_response(partial(roster.entry, lrn), if_none_match, scope)


@get("/api/v1/roster/export", operation_id="exportRoster", tags=["roster"], opt=_PUBLIC,
     responses={**problem_responses(422), **_NOT_MODIFIED})
async def export_roster(roster_exports: NamedDependency[RosterExports],
                        format: FromQuery[ExportFormat] = "csv",
                        if_none_match: IfNoneMatch = None) -> Response[Any] | File:
    """The whole roster as CSV or JSON: a snapshot of one moment, built once per roster version
    and kept (while the roster keeps changing, at most ``IRIS_ROSTER_EXPORT_SECONDS`` old).
    ``ETag`` names the roster version it holds (send ``If-None-Match`` for a 304),
    ``Last-Modified`` says when it was read.

    In the CSV, corridors read ``NP>QA NP>AE`` and sectors are space-separated. Every cell is
    quoted, and a cell a spreadsheet would run as a formula (it starts with ``= + - @``, a tab
    or a line break) or that starts with ``'`` gets a leading ``'``: drop the first character
    of a cell that starts with ``'`` to read the value.
    """
    snapshot = await roster_exports.latest(format)
    etag = f'"roster-{snapshot.version}-{format}"'
    headers = {"Last-Modified": format_datetime(snapshot.taken_at, usegmt=True)}
    if if_none_match and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(b"", status_code=304, headers={**headers, "ETag": etag})
    return File(path=snapshot.path, filename=f"iris-roster.{format}",
                media_type="text/csv" if format == "csv" else "application/json",  # + charset
                etag=ETag(value=etag.strip('"')), headers=headers)


class RosterChangeView(msgspec.Struct):
    seq: int
    lrn: str
    name: str
    status: str
    previous_status: str | None
    #: the new status is under appeal (a change of this alone is listed too)
    under_appeal: bool
    valid_until: str
    changed_at: str
    entry_url: str


class RosterChanges(msgspec.Struct):
    changes: list[RosterChangeView]
    #: pass as ``since`` to read on; equal to the request's ``since`` when nothing is new
    next_since: int


@get("/api/v1/roster/changes", operation_id="rosterChanges", tags=["roster"], opt=_PUBLIC,
     responses=problem_responses(422))
async def roster_changes(
    subscriptions: NamedDependency[Subscriptions],
    since: Annotated[int, QueryParameter(ge=0, le=bounds.MAX_ID)] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> RosterChanges:
    """Status changes on the roster, oldest first, after change number ``since``.

    Poll with the last ``next_since``; numbers only grow, and a change is listed once it is
    committed, never before a change with a smaller number.
    """
    rows = await subscriptions.changes(since, limit)
    return RosterChanges(changes=[RosterChangeView(**r) for r in rows],  # type: ignore[arg-type]
                         next_since=int(rows[-1]["seq"]) if rows else since)  # type: ignore[call-overload]


class WebhookSubscription(msgspec.Struct, forbid_unknown_fields=True, tag_field="channel",
                          tag="webhook"):
    """Every change POSTed to ``url``, signed."""

    url: bounds.Url


class EmailSubscription(msgspec.Struct, forbid_unknown_fields=True, tag_field="channel",
                        tag="email"):
    """Every change e-mailed to ``email``, once the address is confirmed."""

    email: Annotated[str, Meta(max_length=bounds.EMAIL, pattern=EMAIL_PATTERN)]


#: ``channel: webhook`` with an https ``url``, or ``channel: email`` with an ``email``
SubscriptionRequest = WebhookSubscription | EmailSubscription


class SubscriptionView(msgspec.Struct):
    id: int
    #: roster.status_changed (of the recruiter ``lrn``) or audit.anchor
    topic: str
    channel: str
    status: str
    created_at: datetime
    lrn: str | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    #: webhook only: its challenge must be echoed by then, or the subscription expires
    verify_by: datetime | None = None
    #: webhook only, shown once: keep it to cancel the subscription
    token: str | None = None
    #: webhook only, shown once: the key that signs every delivery (see IRIS-Signature)
    secret: str | None = None
    detail: str = ""


class TokenBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=bounds.TOKEN, pattern=bounds.NO_NUL)]


def subscription_view(sub: Subscription, **extra: Any) -> SubscriptionView:
    return SubscriptionView(id=sub.id or 0, topic=sub.topic, lrn=sub.lrn, channel=sub.channel,
                            status=sub.status, created_at=sub.created_at,
                            confirmed_at=sub.confirmed_at, cancelled_at=sub.cancelled_at,
                            verify_by=sub.verify_by, **extra)


@post("/api/v1/roster/{lrn:str}/subscriptions", operation_id="subscribe", tags=["roster"],
      opt={**_PUBLIC, "rate_limit": "subscription"}, status_code=201,
      responses=problem_responses(404, 422, 429))
async def subscribe(subscriptions: NamedDependency[Subscriptions], lrn: Lrn,
                    data: JSONBody[SubscriptionRequest]) -> SubscriptionView:
    """Hear of every status change of this recruiter.

    A webhook starts ``pending``: we POST it a signed ``webhook.verify`` message, and it must
    answer 2xx with ``{"challenge": "<data.challenge>"}`` (before ``verify_by``, retried until
    then) to become active; it receives nothing before. The answer holds its signing
    ``secret`` and a ``token`` to cancel it, both shown only now. An e-mail address first
    receives a token to confirm with.
    """
    if isinstance(data, WebhookSubscription):
        new = await subscriptions.subscribe(lrn, channel="webhook", url=data.url)
        detail = ("pending: we POST a signed challenge to your URL; echo its data.challenge as "
                  '{"challenge": "..."} in a 2xx answer, and every status change follows, '
                  "signed (IRIS-Signature)")
    else:
        new = await subscriptions.subscribe(lrn, channel="email", email=data.email)
        detail = "pending: confirm with the token we have e-mailed to you"
    return subscription_view(new.subscription, token=new.token, secret=new.secret, detail=detail)


@post("/api/v1/subscriptions/confirm", operation_id="confirmSubscription", tags=["roster"],
      opt=_PUBLIC, status_code=200, responses=problem_responses(404, 409, 422))
async def confirm_subscription(subscriptions: NamedDependency[Subscriptions],
                               data: JSONBody[TokenBody]) -> SubscriptionView:
    """Confirm an e-mail subscription with the token from the confirmation e-mail (a webhook is
    confirmed by echoing its challenge instead: 409)."""
    return subscription_view(await subscriptions.confirm(data.token))


@post("/api/v1/subscriptions/cancel", operation_id="cancelSubscription", tags=["roster"],
      opt=_PUBLIC, status_code=200, responses=problem_responses(404, 422))
async def cancel_subscription(subscriptions: NamedDependency[Subscriptions],
                              data: JSONBody[TokenBody]) -> SubscriptionView:
    """Stop a subscription (its token came with the webhook answer or the e-mail)."""
    return subscription_view(await subscriptions.cancel(data.token))


roster_handlers = [search_roster, roster_changes, get_roster_entry, export_roster, subscribe,
                   confirm_subscription, cancel_subscription]
