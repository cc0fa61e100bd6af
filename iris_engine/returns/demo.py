"""The return demo: three referring partners (a charity, a police force, a local authority),
origin-country partners in Bulgaria, the Czech Republic, Hungary and Romania, a return officer
and a supervisor, and survivors' returns at every stage, each walked through the real
transitions on a clock moved through the past months (consent, eligibility, the partner's
risk assessment, the plan and its services, travel, arrival, reintegration, monitoring): one
not eligible, one not advised, one withdrawn, one closed after its three monitoring reports,
and one whose arrival nobody confirmed (the first tick of ``iris serve --demo`` escalates it).

The survivors are fictional, and their names say so. Each case is one transaction for the
referral and one for its walk, so the demo adds a couple of seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import Principal
from iris_engine.clock import ManualClock
from iris_engine.domain import DemoLogin, DemoSeed
from iris_engine.people import NewUser
from iris_engine.returns.forms import FORMS_FOLDER
from iris_engine.returns.intake import ReturnIntake
from iris_engine.returns.models import ReturnPartner
from iris_engine.returns.schemas import ReturnReferral
from iris_engine.returns.service import WORKFLOW
from iris_engine.store.models import Case, Organisation
from iris_engine.workflow import TransitionInput

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases import CaseEngine

__all__ = ["PASSWORD", "STORIES", "seed_demo"]

PASSWORD = "demo-returns-2026"
_OFFICE = ("Return and Reintegration Service (demo)", "GB")
#: (e-mail, name, roles, organisation, kind, country, what the login is for)
_PEOPLE = [
    ("returns@demo.iris.example", "Return Officer (demo)", "return_officer", _OFFICE[0],
     "scheme", "GB", "runs the demo's returns"),
    ("returns-supervisor@demo.iris.example", "Return Supervisor (demo)", "return_supervisor",
     _OFFICE[0], "scheme", "GB", "approves plans, told of missed safety deadlines"),
    ("referrals@charity.demo.iris.example", "Charity Caseworker (demo)", "referrer",
     "Safe Harbour Charity (demo)", "referrer", "GB", "a charity that refers survivors"),
    ("referrals@police.demo.iris.example", "Police Investigator (demo)", "referrer",
     "Northshire Police (demo)", "referrer", "GB", "a police force that refers survivors"),
    ("referrals@council.demo.iris.example", "Council Social Worker (demo)", "referrer",
     "Riverton Borough Council (demo)", "referrer", "GB", "a local authority that refers"),
    ("partner@bg.demo.iris.example", "Partner Caseworker BG (demo)", "partner",
     "Sofia New Start Centre (demo)", "partner", "BG", "the partner in Bulgaria"),
    ("partner@cz.demo.iris.example", "Partner Caseworker CZ (demo)", "partner",
     "Brno Homecoming Association (demo)", "partner", "CZ", "the partner in the Czech Republic"),
    ("partner@hu.demo.iris.example", "Partner Caseworker HU (demo)", "partner",
     "Debrecen Safe Return (demo)", "partner", "HU", "the partner in Hungary"),
    ("partner@ro.demo.iris.example", "Partner Caseworker RO (demo)", "partner",
     "Iasi Reintegration Network (demo)", "partner", "RO", "the partner in Romania"),
]
_PARTNER_SERVICES = "shelter medical_care psychosocial_care labour_market_orientation family"
_LANGUAGE = {"BG": "bg", "CZ": "cs", "HU": "hu", "RO": "ro"}


@dataclass(frozen=True, slots=True)
class Story:
    """One demo return: where the survivor goes home to, who referred them, the stage the
    demo takes it to and how many days ago the referral came in."""

    name: str
    country: str
    referrer: int  # index into the referrers: charity, police, council
    stage: str
    days_ago: int


STORIES = [
    Story("Demo Survivor Alpha (fictional)", "RO", 0, "enquiry", 2),
    Story("Demo Survivor Bravo (fictional)", "BG", 1, "consented", 6),
    Story("Demo Survivor Charlie (fictional)", "CZ", 2, "eligible", 9),
    Story("Demo Survivor Delta (fictional)", "HU", 0, "not_eligible", 20),
    Story("Demo Survivor Echo (fictional)", "RO", 1, "risk_assessment", 14),
    Story("Demo Survivor Foxtrot (fictional)", "BG", 2, "not_advised", 30),
    Story("Demo Survivor Golf (fictional)", "CZ", 0, "plan_approved", 24),
    Story("Demo Survivor Hotel (fictional)", "HU", 1, "withdrawn", 40),
    Story("Demo Survivor India (fictional)", "RO", 2, "travel_documents", 28),
    Story("Demo Survivor Juliet (fictional)", "BG", 0, "fit_to_travel", 32),
    Story("Demo Survivor Kilo (fictional)", "CZ", 1, "travel_booked", 35),
    Story("Demo Survivor Lima (fictional)", "HU", 2, "departed", 20),
    Story("Demo Survivor Mike (fictional)", "RO", 0, "arrival_unconfirmed", 22),
    Story("Demo Survivor November (fictional)", "BG", 1, "arrived", 45),
    Story("Demo Survivor Oscar (fictional)", "CZ", 2, "reintegration", 60),
    Story("Demo Survivor Papa (fictional)", "RO", 1, "monitoring", 170),
    Story("Demo Survivor Quebec (fictional)", "HU", 0, "closed", 440),
]


def _example(name: str, **dates: str) -> dict[str, Any]:
    """A valid example form of the plan's (``schemas/examples/valid``), dated as the demo is."""
    document: dict[str, Any] = json.loads(
        (FORMS_FOLDER / "examples" / "valid" / f"{name}.json").read_text(encoding="utf-8"))
    document.update(dates)
    return document


def _consent(purpose: str, **extra: Any) -> dict[str, Any]:
    return {"purpose": purpose, "text_version": "RA-2026.1", "language": "en",
            "interpreter_used": True, "witness": "Demo Interpreter (fictional)", **extra}


class _Walk:
    """Fires one case's transitions in one transaction, the clock moving between them."""

    def __init__(self, engine: CaseEngine, session: AsyncSession, clock: ManualClock,
                 case_id: int) -> None:
        self.engine, self.session, self.clock, self.case_id = engine, session, clock, case_id

    async def fire(self, who: Principal, event: str, *, after: timedelta = timedelta(hours=3),
                   **kw: Any) -> dict[str, Any]:
        self.clock.advance(after)
        case = await self.session.get(Case, self.case_id, populate_existing=True)
        assert case is not None
        outcome = await self.engine.fire(self.session, WORKFLOW, self.case_id, who,
                                         TransitionInput(event, case.revision, **kw))
        return dict(outcome.event.data)

    def at(self, delta: timedelta = timedelta()) -> str:
        return (self.clock() + delta).isoformat()


@dataclass(frozen=True, slots=True)
class _Cast:
    officer: Principal
    supervisor: Principal
    referrers: list[Principal]
    partners: dict[str, Principal]


async def seed_demo(seed: DemoSeed) -> list[DemoLogin]:
    """The return demo's people, then each story walked to its stage."""
    cast, logins = await _people(seed)
    for story in STORIES:
        await _story(seed, cast, story)
    return logins


async def _people(seed: DemoSeed) -> tuple[_Cast, list[DemoLogin]]:
    services = seed.services
    principals: dict[str, Principal] = {}
    logins = []
    async with services.db.write() as session:
        orgs: dict[str, Organisation] = {}
        for email, name, role, org_name, kind, country, note in _PEOPLE:
            if org_name not in orgs:
                orgs[org_name] = (await session.scalars(select(Organisation).where(
                    col(Organisation.name) == org_name))).first() or (
                    await services.people.add_organisation(session, kind=kind, name=org_name,
                                                           country=country))
                if kind == "partner":
                    session.add(ReturnPartner(organisation_id=orgs[org_name].id or 0,
                                              name=org_name, countries=country,
                                              services=_PARTNER_SERVICES, created_at=seed.now))
            user = await services.people.add_user(session, orgs[org_name],
                                                  NewUser(email, name, PASSWORD, (role,)))
            principals[email] = Principal(user.id or 0, user.organisation_id,
                                          frozenset({role}), email)
            logins.append(DemoLogin(role, email, PASSWORD, note=note, user_id=user.id))
    seed.staff.update(principals)
    by_role = [p for p in principals.values()]
    cast = _Cast(
        officer=next(p for p in by_role if "return_officer" in p.roles),
        supervisor=next(p for p in by_role if "return_supervisor" in p.roles),
        referrers=[p for p in by_role if "referrer" in p.roles],
        partners={country: principals[email] for email, *_r, country, _n in _PEOPLE
                  if "partner" in principals[email].roles})
    return cast, logins


async def _story(seed: DemoSeed, cast: _Cast, story: Story) -> None:
    services = seed.services
    clock = ManualClock(seed.now - timedelta(days=story.days_ago))
    engine = services.engine.with_clock(clock)
    referral = msgspec.convert({
        "nationality": story.country, "language": _LANGUAGE[story.country],
        "age_group": "adult", "in_danger": story.stage == "enquiry", "nrm_status": "referred",
        "survivor": {"name": story.name,
                     "phone": f"+44 7700 900{STORIES.index(story):03d}"},
        "account": "A fictional account for the demo: recruited with a promise of farm work, "
                   "documents kept by the employer, a debt that grew every month.",
    }, ReturnReferral)
    view = await ReturnIntake(services.db, engine, services.vault).refer(
        cast.referrers[story.referrer], referral)
    async with services.db.write() as session:
        await _walk_to(_Walk(engine, session, clock, view.id), cast, story, seed.now)


async def _walk_to(walk: _Walk, cast: _Cast, story: Story, now: datetime) -> None:
    """Take the case to ``story.stage``; ``now`` is the demo's present (the walk's clock
    starts in its past)."""
    officer, supervisor = cast.officer, cast.supervisor
    partner = cast.partners[story.country]
    stage = story.stage
    if stage == "enquiry":
        return
    await walk.fire(officer, "record_consent", data=_consent("return_assistance"))
    if stage == "consented":
        return
    if stage == "not_eligible":
        await walk.fire(officer, "refuse_eligibility", reason_code="not_a_survivor",
                        note="The account describes exploitative work but no trafficking; "
                             "signposted to employment advice (demo).")
        return
    await walk.fire(officer, "confirm_eligibility")
    await walk.fire(officer, "record_nrm_status", data={
        "status": "positive_reasonable_grounds", "decided_on": walk.clock().date().isoformat()})
    if stage == "eligible":
        return
    await walk.fire(officer, "record_consent", data=_consent("share_with_partner"))
    await walk.fire(officer, "share_with_partner",
                    data={"partner_organisation_id": partner.organisation_id})
    if stage == "risk_assessment":
        return
    today = walk.clock().date().isoformat()
    if stage == "not_advised":
        await walk.fire(partner, "record_risk_assessment", after=timedelta(days=4), data={
            "assessment": _example("risk_assessment.not-advised", assessed_on=today),
            "outcome": "not_advised"})
        await walk.fire(supervisor, "advise_against", reason_code="traffickers_in_community",
                        note="The partner found the traffickers living beside the family home "
                             "(demo).")
        return
    await walk.fire(partner, "record_risk_assessment", after=timedelta(days=3), data={
        "assessment": _example("risk_assessment.proceed", assessed_on=today),
        "outcome": "proceed"})
    await walk.fire(supervisor, "approve_plan")
    await walk.fire(officer, "record_consent",
                    data=_consent("share_with_services", services=["flight", "shelter",
                                                                   "psychosocial_care"]))
    flight = await _plan(walk, officer, "flight", "Demo Air (demo)", "180.00")
    await _plan(walk, partner, "shelter", "Iasi Reintegration Network (demo)", "600.00")
    await _plan(walk, partner, "psychosocial_care", "Local counselling service (demo)", "400.00")
    if stage == "withdrawn":
        await walk.fire(officer, "withdraw", after=timedelta(days=2),
                        reason_code="survivor_withdrew",
                        note="Decided to stay and take up a job offer in the UK (demo).")
        return
    if stage == "plan_approved":
        return
    await walk.fire(officer, "request_travel_documents")
    if stage == "travel_documents":
        return
    await walk.fire(officer, "confirm_fit_to_travel", after=timedelta(days=5),
                    data={"holds_valid_document": True})
    if stage == "fit_to_travel":
        return
    # a journey still to come: booked to leave tomorrow, or left three hours ago
    booked_at = {"travel_booked": now - timedelta(days=1),
                 "departed": now - timedelta(days=2, hours=12)}.get(stage)
    if booked_at is not None and booked_at > walk.clock():
        walk.clock.set(booked_at)
    await walk.fire(officer, "record_consent", data=_consent("return_assistance"))
    await walk.fire(officer, "update_service", data={"service_id": flight, "status": "booked"})
    await walk.fire(officer, "book_travel", data={
        "departure_at": walk.at(timedelta(days=2)),
        "arrival_at": walk.at(timedelta(days=2, hours=5))})
    if stage == "travel_booked":
        return
    await walk.fire(officer, "depart", after=timedelta(days=2))
    await walk.fire(officer, "update_service", data={"service_id": flight, "status": "delivered",
                                                     "actual_cost": "172.40"})
    if stage in ("departed", "arrival_unconfirmed"):
        return
    await walk.fire(partner, "confirm_arrival", after=timedelta(hours=6),
                    data={"arrived_at": walk.at(timedelta(hours=-1))})
    if stage == "arrived":
        return
    await walk.fire(partner, "start_reintegration", after=timedelta(days=2))
    if stage == "reintegration":
        return
    await _report(walk, partner, "first", timedelta(days=85),
                  "monitoring_report.concern" if stage == "monitoring" else
                  "monitoring_report.stable")
    if stage == "monitoring":
        return
    await _report(walk, partner, "second", timedelta(days=90), "monitoring_report.stable")
    await _report(walk, partner, "third", timedelta(days=175), "monitoring_report.stable")
    await walk.fire(officer, "close", reason_code="completed", after=timedelta(days=3))


async def _plan(walk: _Walk, who: Principal, kind: str, provider: str, cost: str) -> int:
    data = await walk.fire(who, "plan_service", after=timedelta(hours=1),
                           data={"kind": kind, "provider": provider, "planned_cost": cost})
    return int(data["outcome"]["service_id"])


async def _report(walk: _Walk, partner: Principal, due: str, after: timedelta,
                  example: str) -> None:
    walk.clock.advance(after)
    await walk.fire(partner, "file_monitoring_report", after=timedelta(hours=2), data={
        "due": due, "report": _example(example, contact_on=walk.clock().date().isoformat())})
