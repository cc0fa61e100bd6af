"""Following a complaint: the reference and access code in a form (never in a URL), then the
grievance as its complainant sees it: the stage in words, the next deadline, what has happened,
the messages and a reply box, and what they may do (withdraw, after a confirmation; appeal).

Between pages the reference and code are held in a sealed cookie (``track_session``). Every
page calls the same ``GrievanceService`` methods as the API with them, so a wrong code counts
towards the same lock-out (per reference and per client address) and answers exactly as an
unknown reference does. A cookie that no longer opens a case sends the worker back to the form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from iris_engine import bounds
from iris_engine.cases.schemas import TransitionRequest
from iris_engine.errors import Conflict, GuardFailed, InvalidInput, NotFound, TooManyAttempts
from iris_engine.grievances.pages import track_session
from iris_engine.grievances.pages.track_session import Holder
from iris_engine.grievances.schemas import ComplainantView, GrievanceUpdate
from iris_engine.grievances.service import GrievanceService
from iris_engine.services import Services
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm, page, read_form

__all__ = ["EVENTS", "HANDLERS", "STAGES"]

#: each stage of the grievance workflow, in words a worker understands (the workflow's own
#: description, in English, is shown for a stage not listed here)
STAGES = {
    "received": N_("Received. We will confirm soon that we have your complaint."),
    "acknowledged": N_("Confirmed. A caseworker will talk with you and look at your complaint."),
    "triaged": N_("Checked. We have decided how to deal with your complaint."),
    "signposted": N_("We cannot act on this complaint ourselves. We told you who can help."),
    "under_investigation": N_("Being investigated. We are finding out what happened."),
    "referred": N_("Passed to an authority that can act on it."),
    "findings": N_("We have decided what happened."),
    "remedy": N_("Things are being put right for you."),
    "appealed": N_("You asked for a review. A more senior person is checking the decision."),
    "withdrawn": N_("You withdrew your complaint. It will be closed."),
    "closed": N_("Closed. If you disagree with the outcome, you can ask for a review."),
}
#: what each step the worker is told of means (a step not listed shows its stage instead)
EVENTS = {
    "open": N_("You made your complaint."),
    "acknowledge": N_("We confirmed that we have your complaint."),
    "signpost": N_("We told you where to go instead."),
    "start_investigation": N_("The investigation started."),
    "refer": N_("Your complaint was passed to an authority."),
    "record_findings": N_("We decided what happened."),
    "agree_remedy": N_("We agreed how to put things right."),
    "send_interim_response": N_("We need more time."),
    "escalate": N_("A deadline was missed. A supervisor was told."),
    "withdraw": N_("You withdrew your complaint."),
    "close": N_("Your complaint was closed."),
    "appeal": N_("You asked for a review."),
    "uphold": N_("The review kept the decision."),
    "reopen": N_("The review opened the investigation again."),
}
#: what a page says after a redirect (``?notice=``): nothing personal, only which message
_FORM_NOTICES = {
    "signed_out": N_("You have signed out."),
    "ended": N_("For your safety, you are signed out after 20 minutes. "
                "Enter your reference and access code again."),
}
_CASE_NOTICES = {
    "sent": N_("Your message was sent."),
    "withdrawn": N_("You withdrew your complaint."),
    "appealed": N_("You asked for a review. We will tell you what the review decides."),
    "changed": N_("Your complaint changed while you were on this page, or this cannot be done "
                  "now. Read it again below."),
}
_NO_MATCH = N_("We found no complaint with this reference and access code. Check both and try again.")
_REFERENCE_HINT = N_("Enter your reference")
_CODE_HINT = N_("Enter your access code")
_MESSAGE_HINT = N_("Write your message")
_APPEAL_HINT = N_("Write why you disagree")

Notice = Annotated[str | None, QueryParameter(max_length=20, description="Which message to show")]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the complaint, as the page shows it."""

    at: datetime
    title: str  #: English, marked above; translated in the template
    note: str | None
    signpost_to: str | None = None
    new_date: date | None = None
    substantiated: bool | None = None


def _step(update: GrievanceUpdate) -> Step:
    data = update.data or {}
    new_date = None
    if isinstance(data.get("new_date"), str):
        try:
            new_date = date.fromisoformat(data["new_date"])
        except ValueError:
            new_date = None
    return Step(at=update.at, title=EVENTS.get(update.event) or STAGES.get(update.state)
                or update.description, note=update.note,
                signpost_to=data["signpost_to"] if isinstance(data.get("signpost_to"), str) else None,
                new_date=new_date,
                substantiated=data["substantiated"] if isinstance(data.get("substantiated"), bool)
                else None)


def _kept(form: PageForm | None) -> dict[str, str]:
    """What the worker typed, to show back in the form (never the access code; a NUL,
    refused at its field, is left out rather than written into the page)."""
    if form is None:
        return {}
    return {name: value.replace("\x00", "") for name in ("reference", "message", "note")
            if isinstance(value := form.values.get(name), str)}


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class _NoHolder(Exception):
    """The request holds no reference and code that open a case (none, ended, altered)."""


def _holder(request: Request[Any, Any, Any]) -> Holder:
    holder = track_session.held(_services(request), request.cookies.get(track_session.COOKIE))
    if holder is None:
        raise _NoHolder
    return holder


def _signed_in_again(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    """Back to the form, forgetting the cookie: it ended, was altered, or no longer opens."""
    return Redirect("/track?notice=ended", status_code=303,
                    cookies=[track_session.cleared(_services(request))])


def _locked(request: Request[Any, Any, Any], exc: Exception, form: PageForm | None = None,
            ) -> Response[Any]:
    """The form, saying how long to wait (the reference or this address is locked out)."""
    wait = exc.extra.get("retry_after", 60) if isinstance(exc, TooManyAttempts) else 60
    response = page(request, "track/sign_in.html", status_code=429, form=form, kept=_kept(form),
                    locked=max(math.ceil(wait / 60), 1))
    response.headers["Retry-After"] = str(wait)
    return response


#: what a page for a signed-in worker does with the errors of a session that does not open
_SESSION_ERRORS: ExceptionHandlersMap = {
    _NoHolder: _signed_in_again, NotFound: _signed_in_again, TooManyAttempts: _locked}


def _case_page(request: Request[Any, Any, Any], holder: Holder, view: ComplainantView, *,
               notice: str | None = None, form: PageForm | None = None,
               status_code: int = 200) -> Template:
    """The complaint's page; the cookie is sealed again, so it ends 20 minutes from now."""
    return page(request, "track/case.html", status_code=status_code,
                cookies=[track_session.sealed(_services(request), holder)],
                view=view, stage=STAGES.get(view.state, view.state_description),
                steps=[_step(u) for u in view.updates], notice=notice, form=form,
                kept=_kept(form))


@get("/track", name="track")
async def sign_in_form(request: Request[Any, Any, Any], notice: Notice = None) -> Template:
    """The form for a reference and access code."""
    return page(request, "track/sign_in.html", notice=_FORM_NOTICES.get(notice or ""), form=None,
                kept={})


@post("/track", name="track-sign-in")
async def sign_in(request: Request[Any, Any, Any],
                  grievances: NamedDependency[GrievanceService]) -> Response[Any]:
    """Open the complaint a reference and access code name, and hold them in the cookie."""
    form = await read_form(request)
    reference = form.text("reference", required=True, max_length=bounds.REFERENCE * 2,
                          required_message=_REFERENCE_HINT)
    code = form.text("code", required=True, max_length=bounds.ACCESS_CODE,
                     required_message=_CODE_HINT)
    if form.errors or reference is None or code is None:
        return page(request, "track/sign_in.html", status_code=400, form=form, kept=_kept(form))
    try:
        view = await grievances.follow(reference, code, _client(request))
    except NotFound:
        form.errors.append(FormError("reference", _NO_MATCH))
        return page(request, "track/sign_in.html", status_code=400, form=form, kept=_kept(form))
    except TooManyAttempts as exc:
        return _locked(request, exc, form)
    holder = Holder(view.reference, code)  # the reference as stored, however it was typed
    return Redirect("/track/case", status_code=303,
                    cookies=[track_session.sealed(_services(request), holder)])


@get("/track/case", name="track-case", exception_handlers=_SESSION_ERRORS)
async def case(request: Request[Any, Any, Any], grievances: NamedDependency[GrievanceService],
               notice: Notice = None) -> Template:
    """The complaint: its stage, next deadline, what has happened, messages, what they may do."""
    holder = _holder(request)
    view = await grievances.follow(holder.reference, holder.code, _client(request))
    return _case_page(request, holder, view, notice=_CASE_NOTICES.get(notice or ""))


@post("/track/case/reply", name="track-reply", exception_handlers=_SESSION_ERRORS)
async def reply(request: Request[Any, Any, Any],
                grievances: NamedDependency[GrievanceService]) -> Response[Any]:
    """Send the caseworker a message."""
    holder = _holder(request)
    form = await read_form(request)
    body = form.text("message", required=True, max_length=bounds.MESSAGE,
                     required_message=_MESSAGE_HINT)
    if form.errors or body is None:
        return await _refused(request, grievances, holder, form)
    try:
        await grievances.complainant_message(holder.reference, holder.code, _client(request), body)
    except Conflict:  # its personal data was erased: it takes no more messages
        return Redirect("/track/case?notice=changed", status_code=303)
    return Redirect("/track/case?notice=sent", status_code=303)


@get("/track/case/withdraw", name="track-withdraw-confirm", exception_handlers=_SESSION_ERRORS)
async def confirm_withdrawal(request: Request[Any, Any, Any],
                             grievances: NamedDependency[GrievanceService]) -> Response[Any]:
    """Ask before withdrawing: what it means, and the way back."""
    holder = _holder(request)
    view = await grievances.follow(holder.reference, holder.code, _client(request))
    if "withdraw" not in view.may:
        return Redirect("/track/case?notice=changed", status_code=303)
    return page(request, "track/withdraw.html", view=view,
                cookies=[track_session.sealed(_services(request), holder)])


async def _refused(request: Request[Any, Any, Any], grievances: GrievanceService, holder: Holder,
                   form: PageForm) -> Response[Any]:
    """The complaint's page again, with what was typed and each problem at its field."""
    view = await grievances.follow(holder.reference, holder.code, _client(request))
    return _case_page(request, holder, view, form=form, status_code=400)


async def _fire(request: Request[Any, Any, Any], grievances: GrievanceService, holder: Holder,
                form: PageForm, event: str, note: str | None = None) -> bool:
    """Fire ``event`` as the complainant at the revision the page showed; False when the
    complaint changed since, or the event is no longer open to them."""
    revision = form.values.get("revision")
    if not isinstance(revision, str) or not revision.isdigit() or len(revision) > 9:
        return False
    try:
        await grievances.complainant_fire(
            holder.reference, holder.code, _client(request),
            TransitionRequest(event=event, expected_revision=int(revision), note=note))
    except (Conflict, GuardFailed, InvalidInput):
        return False
    return True


@post("/track/case/withdraw", name="track-withdraw", exception_handlers=_SESSION_ERRORS)
async def withdraw(request: Request[Any, Any, Any],
                   grievances: NamedDependency[GrievanceService]) -> Response[Any]:
    """Withdraw the complaint (confirmed on the page before)."""
    holder = _holder(request)
    form = await read_form(request)
    if not form.errors and await _fire(request, grievances, holder, form, "withdraw"):
        return Redirect("/track/case?notice=withdrawn", status_code=303)
    return Redirect("/track/case?notice=changed", status_code=303)


@post("/track/case/appeal", name="track-appeal", exception_handlers=_SESSION_ERRORS)
async def appeal(request: Request[Any, Any, Any],
                 grievances: NamedDependency[GrievanceService]) -> Response[Any]:
    """Ask the next tier to review the outcome, saying why."""
    holder = _holder(request)
    form = await read_form(request)
    note = form.text("note", required=True, max_length=bounds.NOTE, required_message=_APPEAL_HINT)
    if form.errors or note is None:
        return await _refused(request, grievances, holder, form)
    if await _fire(request, grievances, holder, form, "appeal", note):
        return Redirect("/track/case?notice=appealed", status_code=303)
    return Redirect("/track/case?notice=changed", status_code=303)


@post("/track/sign-out", name="track-sign-out")
async def sign_out(request: Request[Any, Any, Any]) -> Redirect:
    """Forget the reference and code on this device."""
    return Redirect("/track?notice=signed_out", status_code=303,
                    cookies=[track_session.cleared(_services(request))])


HANDLERS = [sign_in_form, sign_in, case, reply, confirm_withdrawal, withdraw, appeal, sign_out]
