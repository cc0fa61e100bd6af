"""Every role against every return endpoint (issue #13: "the role matrix covers every new
endpoint"): the generated case endpoints, referral in, the survivor's identity and account,
the forms and the partners directory. The expected status per actor is written from
workflows/return.yaml (``access``, each event's ``roles``) and the services' own checks: a
caller with no return role is forbidden (403); a return reader for whom the case is out of reach
(another referrer, a partner in another country) is answered as for a case that does not exist
(404). Every error is problem+json. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx import Response

from tests.integration.conftest import World, assert_problem
from tests.returns_support import PATH, refer, referral, return_cast, walk_return

ACTORS = ("anonymous", "recruiter", "auditor", "scheme_manager", "caseworker", "supervisor",
          "authority", "admin", "return_officer", "return_supervisor", "referrer",
          "other_referrer", "partner", "partner_bg")
PARTNERS = "/api/v1/return-partners"
Row = tuple[str, str, Any, dict[str, int]]
#: out of reach of these return readers: answered as no such case
STRANGERS = {"other_referrer": 404, "partner_bg": 404}


def expect(ok: str, ok_status: int = 200, *, other: int = 403, **special: int) -> dict[str, int]:
    allowed = set(ok.split())
    assert allowed <= set(ACTORS), allowed - set(ACTORS)
    table = {a: ok_status if a in allowed else other for a in ACTORS}
    table["anonymous"] = 401
    table.update(special)
    return table


def return_rows(case_id: int) -> list[Row]:
    """Every return endpoint behind a login, with who gets what (none changes the case)."""
    case = f"{PATH}/{case_id}"
    stale = {"event": "record_nrm_status", "expected_revision": 999,
             "data": {"status": "positive_reasonable_grounds"}}
    readers = "return_officer return_supervisor referrer partner"
    return [
        ("GET", PATH, None, expect(f"{readers} other_referrer partner_bg")),
        ("POST", PATH, referral(), expect("return_officer referrer other_referrer", 201)),
        ("GET", case, None, expect(readers, **STRANGERS)),
        ("GET", f"{case}/transitions", None, expect(readers, **STRANGERS)),
        ("GET", f"{case}/history", None, expect(readers, **STRANGERS)),
        ("POST", f"{case}/transitions", stale,
         expect("return_officer referrer", 409, **STRANGERS, return_supervisor=403, partner=403)),
        ("GET", f"{case}/identity?purpose=role%20matrix", None,
         expect("return_officer return_supervisor partner", **STRANGERS)),
        ("GET", f"{case}/account?purpose=role%20matrix", None,
         expect("return_officer return_supervisor", **STRANGERS)),
        ("GET", f"{PATH}/risk-assessment-schema", None,
         expect(f"{readers} other_referrer partner_bg")),
        ("GET", f"{PATH}/monitoring-report-schema", None,
         expect(f"{readers} other_referrer partner_bg")),
        ("GET", f"{PARTNERS}?country=RO", None, expect("return_officer return_supervisor admin")),
        ("POST", PARTNERS, {"name": "Nowhere", "countries": ["QT"], "services": ["shelter"]},
         expect("", admin=422)),
    ]


@dataclass
class Scene:
    world: World
    tokens: dict[str, str | None]

    async def call(self, actor: str, method: str, path: str, body: Any) -> Response:
        token = self.tokens[actor]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.world.client.request(method, path, json=body, headers=headers)


async def test_every_role_against_every_return_endpoint(world: World) -> None:
    cast = await return_cast(world)
    case_id = await refer(cast)
    await walk_return(cast, case_id, "risk_assessment")  # held by the officer, shared in RO

    async def staff(email: str, role: str, kind: str = "scheme") -> str:
        return (await world.staff(email, role, organisation=f"{role} org", kind=kind)).token

    other_referrer = await world.staff("police@met.example", "referrer",
                                       organisation="Metropolitan Police", kind="referrer")
    scene = Scene(world, {
        "anonymous": None,
        "recruiter": (await world.recruiter("Everest Fair Recruitment", certified=False)).token,
        "auditor": await staff("auditor@audit.example", "auditor", "audit_body"),
        "scheme_manager": await staff("manager@scheme.example", "scheme_manager"),
        "caseworker": await staff("caseworker@scheme.example", "caseworker"),
        "supervisor": await staff("supervisor@scheme.example", "supervisor"),
        "authority": await staff("glaa@authority.example", "authority", "authority"),
        "admin": await staff("admin@scheme.example", "admin"),
        "return_officer": cast.officer.token, "return_supervisor": cast.supervisor.token,
        "referrer": cast.referrer.token, "other_referrer": other_referrer.token,
        "partner": cast.partner.token, "partner_bg": cast.partner_bg.token})
    mismatches: list[str] = []
    for method, path, body, table in return_rows(case_id):
        for actor in ACTORS:
            r = await scene.call(actor, method, path, body)
            where = f"{actor:>17} {method} {path}"
            if r.status_code != table[actor]:
                mismatches.append(f"{where}: got {r.status_code}, expected {table[actor]}: "
                                  f"{r.text[:160]}")
            elif r.status_code >= 400:
                try:
                    assert_problem(r)
                except (AssertionError, ValueError, KeyError) as exc:
                    mismatches.append(f"{where}: {r.status_code} is not problem+json: {exc}")
    # the list is scoped, not just allowed: who finds the case in it
    for actor in ("return_officer", "return_supervisor", "referrer", "other_referrer", "partner",
                  "partner_bg"):
        r = await scene.call(actor, "GET", PATH, None)
        sees = case_id in [item["id"] for item in r.json()]
        if sees != (actor in ("return_officer", "return_supervisor", "referrer", "partner")):
            mismatches.append(f"{actor:>17} GET {PATH}: case {case_id} listed={sees}")
    assert not mismatches, "\n" + "\n".join(mismatches)
