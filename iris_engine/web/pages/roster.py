"""The public roster as pages: search it, read a recruiter's page, follow a recruiter by e-mail
(the Active Check subscription) and confirm or stop that with the e-mailed token.

The search page is the busiest public page, so its HTML is kept beside the roster's own cache:
per language, per query string and per roster version, rendered once and served as bytes until
the roster changes.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Annotated, Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

import msgspec
from babel import Locale
from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from litestar.types import Scope

from iris_engine import bounds
from iris_engine.countries import is_country
from iris_engine.errors import Conflict, InvalidInput, NotFound
from iris_engine.roster.controllers import RosterEntryDocument, RosterPage
from iris_engine.roster.service import PUBLIC_STATUSES, CachedPage, Roster, RosterQuery
from iris_engine.roster.subscriptions import EMAIL_PATTERN, Subscriptions
from iris_engine.web.again import answer_again
from iris_engine.web.encoding import VARY, Encoded, KeptResponse
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm, language_of, page, read_form

__all__ = ["HANDLERS"]

_NO_FORM = {"exclude_from_csrf": True}  # a page without a POST form sets no cookie

#: a status in words a worker understands
STATUS_WORDS = {
    "accredited": N_("Accredited: may recruit you now"),
    "suspended": N_("Suspended: do not pay or sign anything with this recruiter now"),
    "withdrawn": N_("No longer accredited"),
    "expired": N_("Accreditation has run out"),
}
#: a status in one or two words (a badge, a checkbox, the history)
STATUS_NAMES = {
    "accredited": N_("Accredited"),
    "suspended": N_("Suspended"),
    "withdrawn": N_("Withdrawn"),
    "expired": N_("Expired"),
}
#: the accreditation workflow's sectors, in words (an identifier not listed here is shown as is)
SECTOR_NAMES = {
    "agriculture": N_("Agriculture"), "fishing": N_("Fishing"), "maritime": N_("Ships and ports"),
    "mining_energy": N_("Mining and energy"), "construction": N_("Construction"),
    "manufacturing": N_("Factories"), "commerce": N_("Shops and trade"),
    "hospitality": N_("Hotels and restaurants"), "transport_logistics": N_("Transport"),
    "health_care": N_("Health and care"), "education": N_("Education"),
    "domestic_work": N_("Domestic work"), "cleaning_security": N_("Cleaning and security"),
    "professional_services": N_("Offices and professional services"),
    "public_service": N_("Public service"), "other": N_("Other work"),
}
#: what the search box takes as a certificate number rather than a name (``LRN00012345``)
_CERTIFICATE = re.compile(r"^[A-Za-z]{0,8}[0-9]{3,}$")
_EMAIL = re.compile(EMAIL_PATTERN)
#: recruiters on a page of results
PAGE_SIZE = 20
#: rendered search pages kept per process (about 30 kB each)
_RENDERED_PAGES = 256

_PAGE = msgspec.json.Decoder(RosterPage)
_ENTRY = msgspec.json.Decoder(RosterEntryDocument)


class StatusChange(msgspec.Struct):
    status: str
    previous_status: str | None
    under_appeal: bool
    valid_until: date
    changed_at: datetime


class History(msgspec.Struct):
    changes: list[StatusChange]
    roster_version: int


_HISTORY = msgspec.json.Decoder(History)


def _words(errors: list[FormError] | None = None) -> dict[str, Any]:
    """What every roster template reads: the problems found (each field's first at the
    field, all in the summary) and the statuses and sectors in words."""
    errors = errors or []
    problems: dict[str, str] = {}
    for e in errors:
        problems.setdefault(e.field, e.message)
    return {"errors": errors, "problems": problems, "status_words": STATUS_WORDS,
            "status_names": STATUS_NAMES, "sector_names": SECTOR_NAMES}


class Countries(msgspec.Struct):
    countries: list[str]
    roster_version: int


_COUNTRIES = msgspec.json.Decoder(Countries)


@lru_cache(maxsize=64)
def _named(language: str, codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Countries as (code, name in ``language``), ordered by name, for the select."""
    names = Locale.parse(language).territories
    return tuple(sorted(((c, str(names.get(c, c))) for c in codes),
                        key=lambda pair: pair[1].casefold()))


async def _countries(roster: Roster, language: str, chosen: str | None,
                     ) -> tuple[tuple[tuple[str, str], ...], CachedPage]:
    """The countries the roster's recruiters work in (and the one chosen, if another), and
    the roster's page they were read from."""
    source = await roster.countries()
    codes = _COUNTRIES.decode(source.body).countries
    if chosen and chosen not in codes:
        codes = [*codes, chosen]
    return _named(language, tuple(codes)), source


class _Kept:
    """A rendered page as it is sent: as is, and gzipped once a browser that takes it asks;
    it stands while the roster's pages it was made from do (``Roster.is_current``)."""

    __slots__ = ("body", "headers", "sources", "status_code")

    def __init__(self, body: Encoded, status_code: int, headers: dict[str, str],
                 sources: tuple[CachedPage, ...] = ()) -> None:
        self.body = body
        self.status_code = status_code
        self.headers = headers
        self.sources = sources

    def current(self, roster: Roster) -> bool:
        return all(roster.is_current(source) for source in self.sources)

    def _make(self, body: bytes, gzipped: bool) -> KeptResponse:
        headers = {**self.headers, "Content-Encoding": "gzip"} if gzipped else self.headers
        return KeptResponse(body, media_type=MediaType.HTML, status_code=self.status_code,
                            headers=headers)

    def for_client(self, scope: Scope) -> KeptResponse:
        return self.body.response(scope, self._make)


class _RenderedPages:
    """Search pages as bytes, least recently used dropped first. A page is served again only
    while the roster still answers with the pages it was made from: a roster change that
    touches its results or the countries listed makes it be rendered anew."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[tuple[str, bytes], _Kept] = OrderedDict()

    def get(self, key: tuple[str, bytes], roster: Roster) -> _Kept | None:
        found = self._pages.get(key)
        if found is None:
            return None
        if not found.current(roster):
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return found

    def put(self, key: tuple[str, bytes], kept: _Kept) -> None:
        self._pages[key] = kept
        if len(self._pages) > self.size:
            self._pages.popitem(last=False)


#: one set of kept pages per roster (an app has one; a test process may build several apps,
#: each on its own database, whose roster versions may coincide)
_rendered: WeakKeyDictionary[Roster, _RenderedPages] = WeakKeyDictionary()


def _kept_pages(roster: Roster) -> _RenderedPages:
    pages = _rendered.get(roster)
    if pages is None:
        pages = _rendered[roster] = _RenderedPages(_RENDERED_PAGES)
    return pages


def _render(request: Request[Any, Any, Any], template: Template,
            sources: tuple[CachedPage, ...]) -> _Kept:
    """A page rendered now from the roster's ``sources``, as responses that can be sent
    again as they are. Only a page that is the same for everyone is kept, so it holds no
    secret to compress beside what the client typed (``iris_engine.web.encoding``)."""
    engine = request.app.template_engine
    assert engine is not None
    html = engine.get_template(template.template_name or "").render(
        **template.create_template_context(request))
    return _Kept(Encoded(html.encode()), template.status_code or 200,
                 {**(template.headers or {}), "Vary": VARY}, sources)


def _search_link(text: str | None, country: str | None, statuses: list[str],
                 cursor: str | None = None) -> str:
    """The search page's address for these filters (and page)."""
    params = [("q", text or ""), ("country", country or "")]
    params += [("status", s) for s in statuses]
    if cursor:
        params.append(("cursor", cursor))
    query = urlencode([(k, v) for k, v in params if v])
    return f"/roster?{query}" if query else "/roster"


@get("/roster", opt=_NO_FORM, name="roster")
async def search_roster(
    request: Request[Any, Any, Any],
    roster: NamedDependency[Roster],
    q: Annotated[str | None, QueryParameter()] = None,
    country: Annotated[str | None, QueryParameter()] = None,
    status: Annotated[list[str] | None, QueryParameter()] = None,
    cursor: Annotated[str | None, QueryParameter()] = None,
) -> Response[Any]:
    """Search the roster by name or certificate number, country and status (a GET form, so a
    search is a link to share), a page of results at a time."""
    language = language_of(request)
    # a page shown before in this language, for this query, made from what the roster still
    # answers (reading the version first takes in any change: it drops the pages it touches)
    await roster.version()
    key = (language, request.scope["query_string"])
    pages = _kept_pages(roster)
    if (kept := pages.get(key, roster)) is not None:
        answer_again(request.scope, partial(_again, roster, pages))
        return kept.for_client(request.scope)
    errors: list[FormError] = []
    text = (q or "").strip()
    if len(text) > bounds.SEARCH:
        errors.append(FormError("q", N_("This is too long. Type a few words of the name.")))
    code = (country or "").strip().upper() or None
    if code is not None and not is_country(code):
        errors.append(FormError("country", N_("Choose from the options shown")))
    picked = [s for s in status or [] if s in PUBLIC_STATUSES]
    if len(picked) != len(status or []):
        errors.append(FormError("status", N_("Choose from the options shown")))
    chosen = code if code and is_country(code) else None
    form = {"q": text, "country": chosen, "status": picked}
    countries, listed = await _countries(roster, language, chosen)
    if errors:
        return page(request, "roster/search.html", status_code=400, **_words(errors), form=form,
                    results=None, countries=countries, restarted=False)
    by_number = bool(_CERTIFICATE.match(text))
    query = RosterQuery(q=None if by_number else text or None, lrn=text if by_number else None,
                        country=code, status=tuple(picked), limit=PAGE_SIZE,
                        cursor=cursor if cursor and len(cursor) <= bounds.LRN else None)
    restarted = bool(cursor) and query.cursor is None
    try:
        found = await roster.search(query)
    except NotFound:  # the cursor names no entry (any more): start from the first page
        restarted = True
        found = await roster.search(RosterQuery(q=query.q, lrn=query.lrn, country=code,
                                                status=tuple(picked), limit=PAGE_SIZE))
    results = _PAGE.decode(found.body)
    next_link = (_search_link(text, code, picked, results.next_cursor)
                 if results.next_cursor else None)
    shown = page(request, "roster/search.html", **_words(), form=form, results=results,
                 countries=countries, next_link=next_link, restarted=restarted,
                 first_link=_search_link(text, code, picked) if cursor else None,
                 searched=bool(text or code or picked or cursor))
    if restarted:  # a page for a cursor that names nothing now: not worth keeping
        return shown
    kept = _render(request, shown, (found, listed))
    pages.put(key, kept)
    answer_again(request.scope, partial(_again, roster, pages))
    return kept.for_client(request.scope)


async def _again(roster: Roster, pages: _RenderedPages, scope: Scope) -> KeptResponse | None:
    """The search page for this path and query string, as kept for the asker's language,
    while the roster still answers what it was made from (else None: it is made anew)."""
    await roster.version()
    kept = pages.get((language_of(Request(scope)), scope["query_string"]), roster)
    return None if kept is None else kept.for_client(scope)


async def _entry_page(request: Request[Any, Any, Any], roster: Roster, lrn: str, *,
                      form: PageForm | None = None, email: str = "",
                      status_code: int = 200) -> Template:
    entry = await _entry(request, roster, lrn)
    history = _HISTORY.decode((await roster.history(entry.entry.lrn)).body)
    return page(request, "roster/entry.html", status_code=status_code, entry=entry.entry,
                history=history.changes, email=email, **_words(form.errors if form else None))


async def _entry(request: Request[Any, Any, Any], roster: Roster, lrn: str) -> RosterEntryDocument:
    """The entry, or a 404 page that says what to do (a number too long is no number)."""
    try:
        if len(lrn) > bounds.LRN:
            raise NotFound("no such certificate number")
        found: CachedPage = await roster.entry(lrn)
    except NotFound:
        raise _NoEntry(lrn) from None
    return _ENTRY.decode(found.body)


class _NoEntry(Exception):
    def __init__(self, lrn: str) -> None:
        super().__init__("no roster entry")
        self.lrn = lrn


def _no_entry_page(request: Request[Any, Any, Any], exc: _NoEntry) -> Response[Any]:
    return page(request, "roster/missing.html", status_code=404, lrn=exc.lrn[:bounds.LRN])


Lrn = Annotated[str, PathParameter(min_length=1)]


@get("/roster/{lrn:str}", name="roster-entry", exception_handlers={_NoEntry: _no_entry_page})
async def roster_entry(request: Request[Any, Any, Any], roster: NamedDependency[Roster],
                       lrn: Lrn) -> Template:
    """A recruiter's page: its status in words, dates, scope, history, and a form to follow it."""
    return await _entry_page(request, roster, lrn)


@post("/roster/{lrn:str}/follow", name="roster-follow", status_code=303,
      opt={"rate_limit": "subscription"}, exception_handlers={_NoEntry: _no_entry_page})
async def follow_recruiter(request: Request[Any, Any, Any], roster: NamedDependency[Roster],
                           subscriptions: NamedDependency[Subscriptions],
                           lrn: Lrn) -> Template | Redirect:
    """Follow a recruiter by e-mail: the address must be confirmed from the e-mail we send."""
    entry = (await _entry(request, roster, lrn)).entry
    form = await read_form(request)
    raw = form.values.get("email")
    typed = raw.replace("\x00", "")[:bounds.EMAIL * 2] if isinstance(raw, str) else ""
    email = form.text("email", required=True, max_length=bounds.EMAIL,
                      required_message=N_("Enter your e-mail address"))
    if email and not _EMAIL.match(email):
        form.errors.append(FormError("email", N_("Enter an e-mail address like name@example.com")))
    if not form.errors and email:
        try:
            await subscriptions.subscribe(entry.lrn, channel="email", email=email)
        except InvalidInput:
            form.errors.append(FormError("email", N_("Enter an e-mail address like name@example.com")))
        else:
            return Redirect(f"/roster/{entry.lrn}/follow/sent", status_code=303)
    return await _entry_page(request, roster, lrn, form=form, email=typed, status_code=422)


@get("/roster/{lrn:str}/follow/sent", opt=_NO_FORM, name="roster-follow-sent",
     exception_handlers={_NoEntry: _no_entry_page})
async def follow_sent(request: Request[Any, Any, Any], roster: NamedDependency[Roster],
                      lrn: Lrn) -> Template:
    """After following: confirm from the e-mail."""
    entry = (await _entry(request, roster, lrn)).entry
    return page(request, "roster/sent.html", entry=entry)


#: what the token page does: confirm a subscription, or stop it
_TOKEN_ACTIONS = ("confirm", "cancel")


def _token_page(request: Request[Any, Any, Any], action: str, form: PageForm | None = None,
                status_code: int = 200) -> Template:
    return page(request, "roster/token.html", action=action, status_code=status_code,
                **_words(form.errors if form else None))


@get("/roster/subscriptions/confirm", name="roster-confirm")
async def confirm_form(request: Request[Any, Any, Any]) -> Template:
    """Where the confirmation e-mail sends a follower: paste the token, confirm."""
    return _token_page(request, "confirm")


@get("/roster/subscriptions/cancel", name="roster-cancel")
async def cancel_form(request: Request[Any, Any, Any]) -> Template:
    """Paste the token from the confirmation e-mail to stop the messages."""
    return _token_page(request, "cancel")


async def _with_token(request: Request[Any, Any, Any], roster: Roster,
                      subscriptions: Subscriptions, action: str) -> Template:
    form = await read_form(request)
    token = form.text("token", required=True, max_length=bounds.TOKEN,
                      required_message=N_("Paste the code from the e-mail"))
    if form.errors or token is None:
        return _token_page(request, action, form, 422)
    try:
        sub = await (subscriptions.confirm(token) if action == "confirm"
                     else subscriptions.cancel(token))
    except NotFound:
        form.errors.append(FormError("token", N_(
            "We do not know this code. Copy it again from the e-mail, all of it.")))
    except Conflict:
        form.errors.append(FormError("token", N_(
            "These messages were stopped. To get them again, follow the recruiter again.")))
    if form.errors:
        return _token_page(request, action, form, 422)
    entry = None
    if sub.lrn:
        try:
            entry = _ENTRY.decode((await roster.entry(sub.lrn)).body).entry
        except NotFound:
            entry = None
    return page(request, "roster/token_done.html", action=action, entry=entry)


@post("/roster/subscriptions/confirm", name="roster-confirm-post", status_code=200)
async def confirm_following(request: Request[Any, Any, Any], roster: NamedDependency[Roster],
                            subscriptions: NamedDependency[Subscriptions]) -> Template:
    """Confirm following a recruiter with the token from the e-mail."""
    return await _with_token(request, roster, subscriptions, "confirm")


@post("/roster/subscriptions/cancel", name="roster-cancel-post", status_code=200)
async def cancel_following(request: Request[Any, Any, Any], roster: NamedDependency[Roster],
                           subscriptions: NamedDependency[Subscriptions]) -> Template:
    """Stop following a recruiter with the token from the e-mail."""
    return await _with_token(request, roster, subscriptions, "cancel")


HANDLERS = [search_roster, roster_entry, follow_recruiter, follow_sent, confirm_form,
            cancel_form, confirm_following, cancel_following]
