"""The complaint pages: a grievance filed in five short steps, one thing per page, then a
check of the answers and the receipt.

Nothing is stored before the final submit: the answers travel from step to step in hidden
fields of POST forms (every step posts to the one address ``/complain``, so nothing typed
reaches a URL or the access log). The final submit re-reads every answer as if it were new
(a hidden field changed on the way is shown on the step it belongs to) and files through the
API's service, ``GrievanceService.file``, with the page's language recorded. Its answer is the
receipt, showing the reference and the access code once.

The worker answers in plain words; the codes the caseworkers use (allegations, principles of
the IRIS Standard) are derived from them here (``HAPPENINGS``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.response import Template

from iris_engine import bounds
from iris_engine.countries import ISO_3166_ALPHA_2
from iris_engine.errors import InvalidInput
from iris_engine.grievances.pages.complaint_choices import (
    amount_of,
    countries,
    currencies,
    currency_codes,
    fits,
    home_currency,
    roster_entry,
    roster_matches,
)
from iris_engine.grievances.schemas import Contact, GrievanceFiling
from iris_engine.grievances.service import GrievanceService
from iris_engine.roster.service import Roster
from iris_engine.web.i18n import N_
from iris_engine.web.pages.rendering import FormError, PageForm, language_of, page, read_form

__all__ = ["HANDLERS", "HAPPENINGS", "ROLES", "STEPS"]

STEPS = ("who", "recruiter", "what", "fees", "contact")
CHECK = "check"
#: the fields each step asks for; every other step carries them as hidden fields
FIELDS: dict[str, tuple[str, ...]] = {
    "who": ("role",),
    "recruiter": ("recruiter_name", "recruiter_lrn", "recruiter_unknown", "origin", "destination"),
    "what": ("narrative", "happened"),
    "fees": ("paid", "fee_amount", "fee_currency", "documents_kept"),
    "contact": ("contact_name", "contact_email", "contact_phone", "contact_other",
                "contact_channel", "consent_contact", "consent_refer", "consent_share",
                "in_danger"),
}
STEP_OF = {name: step for step, names in FIELDS.items() for name in names}

#: who is complaining (``complainant_role``), as they would say it
ROLES: dict[str, str] = {
    "worker": N_("I am the worker: I was recruited, or I work abroad"),
    "job_seeker": N_("I am looking for a job abroad"),
    "family_member": N_("I am in the worker's family"),
    "representative": N_("I am helping the worker (a friend, a lawyer, a trade union)"),
    "civil_society": N_("I work for an organisation that supports workers"),
    "other": N_("Someone else"),
}


@dataclass(frozen=True, slots=True)
class Happening:
    """Something a worker may say happened, and what it alleges in the scheme's codes."""

    label: str
    allegations: tuple[str, ...]
    #: the principles of the IRIS Standard it concerns
    principles: tuple[str, ...]


HAPPENINGS: dict[str, Happening] = {
    "asked_to_pay": Happening(N_("I was asked to pay for the job"), ("recruitment_fees",), ("1",)),
    "documents_taken": Happening(N_("My passport or other documents were taken from me"),
                                 ("document_retention",), ("2",)),
    "contract_changed": Happening(N_("The contract was changed, or I signed a different one "
                                     "when I arrived"), ("contract_substitution",), ("3",)),
    "lied_to": Happening(N_("I was lied to about the job, the pay or the conditions"),
                         ("deception",), ("3",)),
    "not_paid": Happening(N_("I was not paid, or paid less than I was promised"),
                          ("wage_theft",), ("3",)),
    "no_licence": Happening(N_("The recruiter had no licence"), ("unlicensed_recruitment",), ("A",)),
    "threatened": Happening(N_("I or my family were threatened or hurt"),
                            ("threats_or_violence",), ("B",)),
    "cannot_leave": Happening(N_("I am forced to work and cannot leave"),
                              ("forced_labour",), ("A", "2")),
    "sold": Happening(N_("I was sold or handed over to someone to work for them"),
                      ("trafficking",), ("A",)),
    "child": Happening(N_("A child under 18 was recruited or made to work"),
                       ("child_labour",), ("A",)),
    "data_shared": Happening(N_("My personal information was shared without my permission"),
                             ("other",), ("4",)),
    "punished": Happening(N_("I was punished, or nobody listened, when I complained"),
                          ("other",), ("5",)),
    "something_else": Happening(N_("Something else"), ("other",), ()),
}

#: how the worker would like to be reached (``Contact.preferred_channel``)
CHANNELS: dict[str, str] = {
    "messages": N_("Messages on this website, with my reference and code"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
    "other": N_("Another way (write it below)"),
}

#: a roster entry's status, in words a worker understands
STATUSES: dict[str, str] = {
    "accredited": N_("Accredited"),
    "suspended": N_("Suspended"),
    "withdrawn": N_("Accreditation withdrawn"),
    "expired": N_("Accreditation expired"),
}

YES_NO = ("yes", "no")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: the filing's members, by the step that asks for them (a refusal of the whole filing is
#: shown on that step)
_POINTERS = {"complainant_role": "role", "corridor.origin": "origin",
             "corridor.destination": "destination", "recruiter": "recruiter_name",
             "narrative": "narrative", "allegations": "happened", "principles": "happened",
             "fees_paid": "fee_amount", "documents_retained": "documents_kept",
             "in_danger": "in_danger", "contact.name": "contact_name",
             "contact.email": "contact_email", "contact.phone": "contact_phone",
             "contact.other": "contact_other", "contact": "contact_name",
             "consents": "consent_contact"}


@dataclass(slots=True)
class Answers:
    """Every answer given so far, as posted (what was typed is kept, to be shown again)."""

    values: dict[str, list[str]]
    #: fields refused as read (NUL, too long): the problem, shown at the field
    refused: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, form: PageForm) -> Answers:
        refused = {e.field: e.message for e in form.errors if e.field in STEP_OF}
        values: dict[str, list[str]] = {}
        for name in STEP_OF:
            kept = [v.replace("\r\n", "\n") for v in form.values.getall(name, [])
                    if isinstance(v, str) and not _UNSTORABLE.search(v)]
            if kept:
                values[name] = kept if name == "happened" else kept[:1]
        return cls(values, refused)

    def get(self, name: str) -> str:
        return self.values.get(name, [""])[0]

    def hidden(self, shown: str | None) -> list[tuple[str, str]]:
        """The fields the page carries without showing: every step's but ``shown``'s."""
        return [(name, value) for name, values in self.values.items()
                if STEP_OF[name] != shown for value in values]


@dataclass(slots=True)
class Reading:
    """A step's answers read into the filing's shape, with the problems found."""

    answers: Answers
    roster: Roster
    filing: dict[str, Any] = field(default_factory=lambda: {
        "allegations": [], "principles": [], "corridor": {}, "consents": {}})
    errors: list[FormError] = field(default_factory=list)
    #: the roster entry the worker chose, shown on the check page
    recruiter: dict[str, Any] | None = None
    form: PageForm = field(init=False)

    def __post_init__(self) -> None:
        self.form = PageForm(FormMultiDict([(k, v) for k, vs in self.answers.values.items()
                                            for v in vs]), self.errors)

    def text(self, name: str, **kw: Any) -> str | None:
        if name in self.answers.refused:
            self.errors.append(FormError(name, self.answers.refused[name]))
            return None
        return self.form.text(name, **kw)

    def yes_no(self, name: str) -> bool | None:
        value = self.answers.get(name)
        if value not in YES_NO:
            self.errors.append(FormError(name, N_("Choose yes or no")))
            return None
        return value == "yes"

    def allege(self, allegations: tuple[str, ...], principles: tuple[str, ...]) -> None:
        for key, codes in (("allegations", allegations), ("principles", principles)):
            self.filing[key] += [c for c in codes if c not in self.filing[key]]

    async def read(self, step: str) -> list[FormError]:
        await _READERS[step](self)
        return [e for e in self.errors if STEP_OF.get(e.field) == step]


async def _who(r: Reading) -> None:
    role = r.answers.get("role")
    if role in ROLES:
        r.filing["complainant_role"] = role
    else:
        r.errors.append(FormError("role", N_("Choose who you are")))


async def _recruiter(r: Reading) -> None:
    name = r.text("recruiter_name", max_length=bounds.ORGANISATION_NAME)
    chosen = r.answers.get("recruiter_lrn")
    entry = await roster_entry(r.roster, chosen or name or "") if (chosen or name) else None
    if chosen and entry is None:
        r.errors.append(FormError("recruiter_name", N_(
            "That recruiter is not on the list. Search again, or write its name.")))
    elif entry is not None:
        r.recruiter = entry
        r.filing["recruiter"] = {"lrn": entry["lrn"], "name": entry["name"]}
    elif name:
        r.filing["recruiter"] = {"name": name}
    elif r.answers.get("recruiter_unknown") == "yes":
        r.filing["recruiter"] = {}
    elif "recruiter_name" not in r.answers.refused:
        r.errors.append(FormError("recruiter_name", N_(
            "Write the recruiter's name or certificate number. If you do not know it, tick the "
            "box below.")))
    for side, message in (("origin", N_("Choose the country where you were recruited")),
                          ("destination", N_("Choose the country where you work, or will work"))):
        code = r.answers.get(side)
        if code in ISO_3166_ALPHA_2:
            r.filing["corridor"][side] = code
        else:
            r.errors.append(FormError(side, message))


async def _what(r: Reading) -> None:
    narrative = r.text("narrative", required=True, max_length=bounds.NARRATIVE,
                       required_message=N_("Tell us what happened, in your own words"))
    if narrative:
        r.filing["narrative"] = narrative
    for key in r.form.choices("happened", frozenset(HAPPENINGS)):
        r.allege(HAPPENINGS[key].allegations, HAPPENINGS[key].principles)


async def _fees(r: Reading) -> None:
    if r.yes_no("paid"):
        r.allege(("recruitment_fees",), ("1",))
        typed = r.text("fee_amount", max_length=40)
        amount = amount_of(typed) if typed else None
        if typed and amount is None:
            r.errors.append(FormError("fee_amount", N_("Write the amount in numbers, for example 1500")))
        currency = r.answers.get("fee_currency")
        if typed and currency not in currency_codes():
            r.errors.append(FormError("fee_currency", N_("Choose the currency you paid in")))
        elif amount:
            r.filing["fees_paid"] = {"amount": amount, "currency": currency}
    if r.yes_no("documents_kept"):
        r.filing["documents_retained"] = True
        r.allege(("document_retention",), ("2",))


async def _contact(r: Reading) -> None:
    contact: dict[str, str] = {}
    for name, member, limit in (("contact_name", "name", bounds.PERSON_NAME),
                                ("contact_email", "email", bounds.EMAIL),
                                ("contact_phone", "phone", bounds.PHONE),
                                ("contact_other", "other", bounds.CONTACT_OTHER)):
        value = r.text(name, max_length=limit)
        if value and not fits(Contact, member, value):
            r.errors.append(FormError(name, {
                "email": N_("Write the e-mail address like name@example.com"),
                "phone": N_("Write the phone number in numbers, for example +977 9812345678"),
            }.get(member, N_("This contains characters that cannot be kept"))))
        elif value:
            contact[member] = value
    channel = r.answers.get("contact_channel")
    if channel and channel not in CHANNELS:
        r.errors.append(FormError("contact_channel", N_("Choose from the options shown")))
    elif (channel in ("email", "phone", "other") and channel not in contact
          and r.form.error_for(f"contact_{channel}") is None):
        r.errors.append(FormError(f"contact_{channel}", N_(
            "Write how to reach you this way, or choose another way")))
    if contact:  # a preferred channel alone ("messages") identifies nobody: anonymous
        r.filing["contact"] = {**contact, **({"preferred_channel": channel} if channel else {})}
    r.filing["consents"] = {"be_contacted": r.form.flag("consent_contact"),
                            "refer_to_authority": r.form.flag("consent_refer"),
                            "share_identity_with_recruiter": r.form.flag("consent_share")}
    danger = r.yes_no("in_danger")
    r.filing["in_danger"] = bool(danger)


_READERS = {"who": _who, "recruiter": _recruiter, "what": _what, "fees": _fees,
            "contact": _contact}


def _field_at(path: str) -> str:
    """The field that asks for a member of the filing (``contact.email``; ``recruiter.name``
    as its nearest named parent, ``recruiter``)."""
    path = re.sub(r"\[\d+\]", "", path)
    while path and path not in _POINTERS:
        path = path.rpartition(".")[0]
    return _POINTERS.get(path, "role")


def _field_of(error: msgspec.ValidationError) -> str:
    """The field a refusal of the whole filing names (``... - at `$.contact.email```)."""
    found = re.search(r"at `\$\.([\w.\[\]]+)`", str(error))
    return _field_at(found.group(1) if found else "")


async def read_all(answers: Answers, roster: Roster,
                   language: str) -> tuple[Reading, GrievanceFiling | None]:
    """Every step read again, and the filing if no step has a problem (as the API's schema
    checks it: whatever it refuses is shown at a field, never filed half-checked)."""
    reading = Reading(answers, roster)
    for step in STEPS:
        await reading.read(step)
    if reading.errors:
        return reading, None
    try:
        filing = msgspec.convert({**reading.filing, "language": language}, GrievanceFiling)
    except msgspec.ValidationError as exc:
        reading.errors.append(FormError(_field_of(exc), N_("Check this answer and try again")))
        return reading, None
    return reading, filing


def _step_page(request: Request[Any, Any, Any], step: str, answers: Answers, *,
               errors: list[FormError] | None = None, return_to_check: bool = False,
               matches: list[dict[str, Any]] | None = None, searched: bool = False) -> Template:
    language = language_of(request)
    return page(request, f"complaint/{step}.html", status_code=422 if errors else 200,
                step=step, number=STEPS.index(step) + 1, total=len(STEPS), answers=answers,
                errors=errors or [], error_at={e.field: e.message for e in reversed(errors or [])},
                hidden=answers.hidden(step), return_to_check=return_to_check,
                roles=ROLES, happenings=HAPPENINGS, channels=CHANNELS, statuses=STATUSES,
                countries=countries(language), currencies=currencies(language),
                matches=matches or [], searched=searched,
                home_currency=home_currency(answers.get("origin")))


async def _check_page(request: Request[Any, Any, Any], answers: Answers, roster: Roster) -> Template:
    reading, filing = await read_all(answers, roster, language_of(request))
    if filing is None:
        return _first_problem(request, answers, reading)
    return page(request, "complaint/check.html", answers=answers, hidden=answers.hidden(None),
                filing=filing, recruiter=reading.recruiter, roles=ROLES,
                happened=[HAPPENINGS[k] for k in answers.values.get("happened", [])
                          if k in HAPPENINGS],
                channels=CHANNELS, currencies=dict(currencies(language_of(request))))


def _first_problem(request: Request[Any, Any, Any], answers: Answers, reading: Reading) -> Template:
    step = next(STEP_OF[e.field] for e in reading.errors if e.field in STEP_OF)
    return _step_page(request, step, answers, return_to_check=True,
                      errors=[e for e in reading.errors if STEP_OF.get(e.field) == step])


@get("/complain", name="complain")
async def start(request: Request[Any, Any, Any]) -> Template:
    """The first step: who is complaining (the page sets the forms' CSRF cookie)."""
    return _step_page(request, "who", Answers({}))


@post("/complain", name="complain-step", status_code=200)
async def answer_step(request: Request[Any, Any, Any], roster: NamedDependency[Roster]) -> Template:
    """A step's answers: shown again with their problems, or the next step (the check page
    after the last, or after a change made from it)."""
    form = await read_form(request)
    answers = Answers.of(form)
    change = form.values.get("change")
    if change in STEPS:
        return await _change(request, answers, roster, change)
    current = form.values.get("step")
    if current == CHECK:
        return await _check_page(request, answers, roster)
    if current not in STEPS:
        return _step_page(request, "who", answers)
    action, to_check = form.values.get("action"), form.values.get("return_to_check") == "yes"
    if action == "back":
        index = STEPS.index(current)
        return _step_page(request, STEPS[max(index - 1, 0)], answers)
    if action == "search" and current == "recruiter":
        return await _search(request, answers, roster, to_check)
    errors = await Reading(answers, roster).read(current)
    if errors:
        matches = await _chosen(answers, roster) if current == "recruiter" else None
        return _step_page(request, current, answers, errors=errors, return_to_check=to_check,
                          matches=matches)
    if to_check or current == STEPS[-1]:
        return await _check_page(request, answers, roster)
    following = STEPS[STEPS.index(current) + 1]
    return _step_page(request, following, answers,
                      matches=await _chosen(answers, roster) if following == "recruiter" else None)


async def _change(request: Request[Any, Any, Any], answers: Answers, roster: Roster,
                  step: str) -> Template:
    matches = await _chosen(answers, roster) if step == "recruiter" else None
    return _step_page(request, step, answers, return_to_check=True, matches=matches)


async def _chosen(answers: Answers, roster: Roster) -> list[dict[str, Any]]:
    """The roster entry already chosen, to show it chosen again."""
    lrn = answers.get("recruiter_lrn")
    entry = await roster_entry(roster, lrn) if lrn else None
    return [entry] if entry else []


async def _search(request: Request[Any, Any, Any], answers: Answers, roster: Roster,
                  to_check: bool) -> Template:
    reading = Reading(answers, roster)
    typed = reading.text("recruiter_name", required=True, max_length=bounds.ORGANISATION_NAME,
                         required_message=N_("Write a name or a certificate number to search for"))
    if typed is None:
        return _step_page(request, "recruiter", answers, errors=reading.errors,
                          return_to_check=to_check)
    answers.values.pop("recruiter_lrn", None)  # a new search: choose again
    return _step_page(request, "recruiter", answers, return_to_check=to_check, searched=True,
                      matches=await roster_matches(roster, typed))


@post("/complain/send", name="complain-send", status_code=201, opt={"rate_limit": "grievance"})
async def send(request: Request[Any, Any, Any], roster: NamedDependency[Roster],
               grievances: NamedDependency[GrievanceService]) -> Template:
    """File the grievance: every answer read again, then the receipt, shown this once."""
    answers = Answers.of(await read_form(request))
    reading, filing = await read_all(answers, roster, language_of(request))
    if filing is None:
        return _first_problem(request, answers, reading)
    try:
        filed = await grievances.file(filing)
    except InvalidInput as exc:  # a name the service refuses as written
        reading.errors.extend(FormError(_field_at(e.pointer.strip("/").replace("/", ".")),
                                        N_("Check this answer and try again")) for e in exc.errors)
        return _first_problem(request, answers, reading)
    return page(request, "complaint/receipt.html", status_code=201, filed=filed,
                in_danger=filing.in_danger)


HANDLERS = [start, answer_step, send]
