"""A return case's people and its walk, shared by the return tests (and the README walk).

``ReturnCast`` holds a return officer, a supervisor, a referring charity and partners in
Bulgaria and Romania (each an organisation with its own users); ``refer`` opens an enquiry as
the referrer; ``walk_return`` takes a case through the workflow to a state, one real
transition at a time, with the data each step needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from httpx import Response

from iris_engine.returns.forms import FORMS_FOLDER
from iris_engine.returns.models import ReturnPartner
from iris_engine.store.models import Organisation
from tests.integration.conftest import Actor, World

__all__ = ["DEPARTURE_AFTER", "JOURNEY", "PATH", "STEPS", "ReturnCast", "consent", "fire_return",
           "monitoring_report_form", "refer", "referral", "return_cast", "risk_assessment_form",
           "walk_return"]

PATH = "/api/v1/returns"
SURVIVOR_NAME = "Mariana Ionescu-Vasilescu"
SURVIVOR_PHONE = "+40 721 555 0199"
SURVIVOR_EMAIL = "mariana.ionescu@mail.example"
ACCOUNT = "Recruited in Constanta with a promise of farm work; passport kept; debt of 3000 pounds."


def referral(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nationality": "RO", "language": "ro", "age_group": "adult", "in_danger": False,
        "survivor": {"name": SURVIVOR_NAME, "date_of_birth": "1994-05-17",
                     "phone": SURVIVOR_PHONE, "email": SURVIVOR_EMAIL},
        "nrm_status": "referred", "account": ACCOUNT,
    }
    body.update(overrides)
    return body


@dataclass
class ReturnCast:
    world: World
    officer: Actor
    supervisor: Actor
    referrer: Actor
    #: the partner in Romania (the survivor's country) and one in Bulgaria
    partner: Actor
    partner_bg: Actor

    @property
    def partner_organisation_id(self) -> int:
        return self.partner.organisation_id


async def _partner(world: World, email: str, name: str, country: str) -> Actor:
    actor = await world.staff(email, "partner", organisation=name, kind="partner")
    async with world.services.db.write() as session:
        org = await session.get(Organisation, actor.organisation_id)
        assert org is not None
        org.country = country
        session.add(ReturnPartner(organisation_id=actor.organisation_id, name=name,
                                  countries=country,
                                  services="shelter medical_care psychosocial_care "
                                           "labour_market_orientation",
                                  created_at=world.clock()))
    return actor


async def return_cast(world: World) -> ReturnCast:
    return ReturnCast(
        world=world,
        officer=await world.staff("officer@returns.example", "return_officer",
                                  organisation="Scheme", kind="scheme"),
        supervisor=await world.staff("supervisor@returns.example", "return_supervisor",
                                     organisation="Scheme", kind="scheme"),
        referrer=await world.staff("caseworker@hope.example", "referrer",
                                   organisation="Hope for Justice", kind="referrer"),
        partner=await _partner(world, "intake@ro-partner.example", "Asociatia Pro Refugiu", "RO"),
        partner_bg=await _partner(world, "intake@bg-partner.example", "Animus Association", "BG"),
    )


async def refer(cast: ReturnCast, **overrides: Any) -> int:
    r = await cast.referrer.post(PATH, referral(**overrides))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def fire_return(actor: Actor, case_id: int, event: str, **body: Any) -> Response:
    """Fire ``event`` at the revision the actor reads now (``expected_revision`` overrides)."""
    revision = body.pop("expected_revision", None)
    if revision is None:
        r = await actor.get(f"{PATH}/{case_id}")
        assert r.status_code == 200, r.text
        revision = r.json()["revision"]
    return await actor.post(f"{PATH}/{case_id}/transitions",
                            {"event": event, "expected_revision": revision, **body})


def consent(purpose: str = "return_assistance", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"purpose": purpose, "text_version": "RA-2026.1", "language": "ro",
                            "interpreter_used": True,
                            "witness": "Ana Popescu, interpreter (Hope for Justice)"}
    data.update(overrides)
    return data


#: the forms' schemas and their examples (``iris_engine/returns/schemas``)
FORM_EXAMPLES = FORMS_FOLDER / "examples" / "valid"


def _example(name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = json.loads((FORM_EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    form.update(overrides)
    return form


def risk_assessment_form(**overrides: Any) -> dict[str, Any]:
    """A complete risk assessment allowing the return (low risk, safe accommodation secured):
    the valid example ``risk_assessment.proceed``, with ``overrides`` at its top level."""
    return _example("risk_assessment.proceed", overrides)


def monitoring_report_form(**overrides: Any) -> dict[str, Any]:
    """A complete monitoring report (stable housing, no concern): the valid example
    ``monitoring_report.stable``, with ``overrides`` at its top level."""
    return _example("monitoring_report.stable", overrides)


def _at(world: World, delta: timedelta) -> str:
    moment: datetime = world.clock() + delta
    return moment.isoformat()


Body = Callable[[], dict[str, Any]]


#: the journey ``walk_return`` books: it leaves two days after booking and takes five hours
DEPARTURE_AFTER = timedelta(days=2)
JOURNEY = timedelta(hours=5)


def _steps(cast: ReturnCast) -> list[tuple[str, Actor, str, Body, timedelta]]:
    """(state reached, who, event, body, how far the clock moves first) for the path a return
    takes when all goes well; each body is made when its step is taken (times read the
    world's clock then)."""
    w = cast.world
    steps: list[tuple[str, Actor, str, Body]] = [
        ("consented", cast.officer, "record_consent", lambda: {"data": consent()}),
        ("eligible", cast.officer, "confirm_eligibility", dict),
        ("eligible", cast.officer, "record_consent",
         lambda: {"data": consent("share_with_partner")}),
        ("risk_assessment", cast.officer, "share_with_partner",
         lambda: {"data": {"partner_organisation_id": cast.partner_organisation_id}}),
        ("risk_assessment", cast.partner, "record_risk_assessment",
         lambda: {"data": {"assessment": risk_assessment_form(), "outcome": "proceed"}}),
        ("plan_approved", cast.supervisor, "approve_plan", dict),
        ("travel_documents", cast.officer, "request_travel_documents", dict),
        ("fit_to_travel", cast.officer, "confirm_fit_to_travel",
         lambda: {"data": {"holds_valid_document": True}}),
        ("fit_to_travel", cast.officer, "record_consent", lambda: {"data": consent()}),
        ("travel_booked", cast.officer, "book_travel",
         lambda: {"data": {"departure_at": _at(w, DEPARTURE_AFTER),
                           "arrival_at": _at(w, DEPARTURE_AFTER + JOURNEY)}}),
        ("departed", cast.officer, "depart", dict),
        ("arrived", cast.partner, "confirm_arrival",
         lambda: {"data": {"arrived_at": _at(w, timedelta())}}),
        ("reintegration", cast.partner, "start_reintegration", dict),
    ]
    waits = {"depart": DEPARTURE_AFTER, "confirm_arrival": JOURNEY}
    return [(*step, waits.get(step[2], timedelta())) for step in steps]


#: the states ``walk_return`` can stop at, in the order the walk reaches them
STEPS = ("enquiry", "consented", "eligible", "risk_assessment", "plan_approved",
         "travel_documents", "fit_to_travel", "travel_booked", "departed", "arrived",
         "reintegration")


async def walk_return(cast: ReturnCast, case_id: int, target: str) -> None:
    """Take an enquiry to ``target`` (one of ``STEPS``) by the path a return takes when all
    goes well, stopping at the first step that reaches it: ``eligible`` before the consent to
    share with a partner, ``risk_assessment`` before the assessment is recorded,
    ``fit_to_travel`` before consent is re-confirmed. The world's clock moves as the journey
    does: to the scheduled departure (``DEPARTURE_AFTER`` after booking) before ``depart``,
    and through the ``JOURNEY`` before the partner confirms the arrival (at that moment)."""
    assert target in STEPS, f"walk_return stops at one of {STEPS}"
    if target == "enquiry":
        return
    for reached, actor, event, body, wait in _steps(cast):
        if wait:
            cast.world.clock.advance(wait)
        r = await fire_return(actor, case_id, event, **body())
        assert r.status_code == 200, f"{event}: {r.text}"
        assert r.json()["state"] == reached, (event, r.json()["state"])
        if reached == target:
            return
