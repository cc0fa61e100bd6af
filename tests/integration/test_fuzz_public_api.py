"""The public (no-login) API fuzzed with real resources, and what its served document must say;
also the server and checks that ``test_fuzz_api.py`` (every operation, both databases) uses.

A black-box test of a real ``iris serve`` on SQLite in a subprocess (the app is not run in-process:
database connections cannot cross event loops). For the public operations that need an existing
resource, schemathesis's requests get real path parameters and headers (a filed grievance and its
access code, a roster entry, a code of conduct) so that the fuzzer reaches past the 404.
Every response must:

* for a 4xx, be ``application/problem+json`` with ``type``, ``title``, ``status`` (equal to the HTTP
  status) and ``detail``, and every ``errors[].pointer`` a JSON pointer starting with ``/``;
* have a Content-Type with no repeated parameter;
* pass every check schemathesis has (``ALL_CHECKS``), ``positive_data_acceptance`` narrowed to
  what a JSON Schema cannot state in a form generators follow (``_schema_cannot_say_it``).

The fuzzer runs against the document as served; two tests below pin what it must say for that
to work: the public operations need no token, and request bodies refuse unknown members
(``additionalProperties: false``; both were wrong until this file found them).

Out-of-range integers, which the fuzzer only sometimes draws, are also sent every time by
``test_integer_query_parameters_beyond_the_database_range``. Reproduce a fuzzer failure with the
``@reproduce_failure`` blob or ``--hypothesis-seed`` it prints, and the curl command in the message.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed: pip install -e '.[test]' (it is a "
                           "declared test dependency, so CI runs this file)")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import CHECKS, load_all_checks  # noqa: E402
from schemathesis.specs.openapi import checks as openapi_checks  # noqa: E402

#: every operation a client may call without logging in (all but /health, which is trivial)
PUBLIC_OPERATIONS = (
    "fileGrievance", "followGrievance", "messageCaseworker", "actOnGrievance",
    "searchRoster", "getRosterEntry", "rosterChanges", "exportRoster", "subscribe",
    "confirmSubscription", "cancelSubscription", "issueToken", "registerRecruiter",
    "confirmRegistration",
    "listWorkflows", "getWorkflow", "getWorkflowDiagram", "listCodesOfConduct",
    "getCodeOfConductSchema", "validateSelfAssessment", "getLatestAuditAnchor",
    "getAuditAnchorKey", "subscribeToAuditAnchors",
    "listOpenTrainingSessions", "enrolInTrainingSession", "confirmEnrolment", "getLearnerRecord",
    "cancelMyEnrolment", "verifyCertificate", "getCredentialKeys", "getCertificateStatusList",
    "listPublicCourses", "getCourseSchema",
)
#: operations also fuzzed with real path parameters / headers (see the ``known`` fixture)
WITH_KNOWN_RESOURCE = ("followGrievance", "messageCaseworker", "actOnGrievance",
                       "getRosterEntry", "subscribe", "getCodeOfConductSchema",
                       "validateSelfAssessment", "enrolInTrainingSession")

MAX_EXAMPLES = 25
#: operations that fire an event on a case
FIRING = re.compile(r"^(fire\w+Transition|actOnGrievance)$")
#: where a request carries a free-form JSON document (a transition's data, a self-assessment)
DOCUMENTS = ("/data/", "/self_assessment/")
NUL_MESSAGE = "contains a NUL character"



#: per operation, the fields whose refusals depend on more than the schema can say (above)
BEYOND_SCHEMA = {
    "subscribe": {"/url"},
    "subscribeToAuditAnchors": {"/url"},
    "registerRecruiter": {"/user/password", "/organisation/name", "/user/name"},
    "changePassword": {"/current_password", "/new_password"},
}


def _schema_cannot_say_it(case: Any, response: Any) -> bool:
    """A schema-valid request refused for a reason its JSON Schema cannot state:

    * a NUL inside a free-form JSON document (refused at any depth; the schema says so in words,
      and for member names as ``propertyNames``, which generators do not follow; a recursive
      schema that says it for every level breaks them);
    * on an operation that fires an event, an event, reason code, note or data that this case
      does not take now, or a guard that is not met: what a case takes depends on the workflow
      version it pinned and on its state, and ``GET .../transitions`` lists it per case;
    * a webhook URL whose host the resolver's rules refuse (``0``, ``127.1``, a private or
      reserved address): whether a host is public is not a pattern;
    * a name holding control, invisible or reordering characters (``iris_engine.names``: Unicode
      categories, which the schema's regular-expression dialect cannot name);
    * a new password that is common or guessable (``people.password_policy``), or a current
      password that is not the account's: what an account's password is, no schema knows.
    """
    if response.status_code != 422:
        return False
    body = json.loads(response.content)
    errors = body.get("errors") or []
    operation = case.operation.definition.raw.get("operationId", "")
    beyond_schema = BEYOND_SCHEMA.get(operation)
    if beyond_schema and errors and all(e["pointer"] in beyond_schema for e in errors):
        return True
    if FIRING.match(case.operation.definition.raw.get("operationId", "")) and (
            body["type"].endswith("/guard-failed") or (errors and all(
                e["pointer"].split("/")[1] in {"event", "reason_code", "note", "data"}
                for e in errors))):
        return True
    # bodies that are free-form documents as a whole (a self-assessment, a course)
    whole_document = case.operation.definition.raw.get("operationId") in {
        "validateSelfAssessment", "addCourse", "reviseCourse"}
    return bool(errors) and all(
        NUL_MESSAGE in e["message"]
        and (whole_document or any(e["pointer"].startswith(d) for d in DOCUMENTS))
        for e in errors)


def positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's own check, but for what ``_schema_cannot_say_it`` describes."""
    try:
        return openapi_checks.positive_data_acceptance(ctx, response, case)
    except Exception:
        if _schema_cannot_say_it(case, response):
            return None
        raise


load_all_checks()
#: every check schemathesis has (``--checks all``), ``positive_data_acceptance`` narrowed as above
ALL_CHECKS = [check for check in CHECKS.get_all()
              if callable(check) and not isinstance(check, type)
              and check is not openapi_checks.positive_data_acceptance]
ALL_CHECKS.append(positive_data_acceptance)


PROBLEM = "application/problem+json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

#: the generic public runs, with every check and on both databases, are test_fuzz_api.py's;
#: here the operations that need an existing resource are fuzzed with real ones
FUZZ_RUNS = [pytest.param(op, "known", id=f"{op}-known") for op in WITH_KNOWN_RESOURCE]


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    log: Path
    process: subprocess.Popen[bytes]
    #: operation id -> fixed path parameters and headers that reach an existing resource
    known: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    #: role -> a bearer token of a demo user with that role
    tokens: dict[str, str] = field(default_factory=dict)
    database_url: str = ""
    #: role -> (e-mail, password) of the first demo account with that role
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)

    def log_text(self, start: int = 0) -> str:
        return self.log.read_text(errors="replace")[start:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _iris(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("iris")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from iris_engine.cli import main; main()", *args]


def _server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    env.update({
        "IRIS_DATABASE_URL": database_url,
        "IRIS_SCHEDULER": "false",
        "IRIS_SECRET_KEY": "fuzz-secret-key-of-at-least-32-bytes-long!",
        # the fuzzer sends thousands of requests from one address: no rate limit, no lock-out
        # (a locked-out client would answer 429 before the fuzzed input is even looked at)
        "IRIS_PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000",
        "IRIS_ACCESS_CODE_MAX_FAILURES": "100000000",
        "IRIS_LOGIN_MAX_FAILURES": "100000000",
        "IRIS_ROSTER_CACHE_SECONDS": "0",
        # the fuzzer logs in (issueToken) hundreds of times; the cost of a hash is not under test
        "IRIS_PASSWORD_HASH_PROFILE": "test",
        # webhook URLs the fuzzer draws are taken (http, private hosts): nothing is delivered
        "IRIS_WEBHOOK_ALLOW_PRIVATE": "true",
    })
    return env


def _run(cmd: list[str], env: dict[str, str], log: Path) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    with log.open("a") as fp:
        fp.write(f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}\n")
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


#: a demo log-in as ``iris demo seed`` prints it: role, e-mail, password
_LOGIN = re.compile(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)", re.MULTILINE)


def start_server(tmp: Path, database_url: str) -> Server:
    """``iris serve`` on a migrated database seeded with the demo, its demo users logged in."""
    env = _server_env(database_url)
    log = tmp / "server.log"
    _run(_iris("db", "upgrade"), env, log)
    seeded = _run(_iris("demo", "seed", "--recruiters", "5"), env, log)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        process = subprocess.Popen(_iris("serve", "--host", "127.0.0.1", "--port", str(port)),
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    running = Server(base_url, log, process, database_url=database_url)
    try:
        _wait_until_up(running)
        running.known = _known_resources(base_url)
        with httpx.Client(base_url=base_url, timeout=30) as c:
            for role, email, password in _LOGIN.findall(seeded):
                running.logins.setdefault(role, (email, password))
                if role not in running.tokens:
                    r = c.post("/api/v1/auth/token", json={"email": email, "password": password})
                    assert r.status_code == 200, r.text
                    running.tokens[role] = r.json()["access_token"]
    except BaseException:
        stop_server(running)
        raise
    return running


def stop_server(running: Server) -> None:
    running.process.terminate()
    try:
        running.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait(timeout=15)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("fuzz")
    running = start_server(tmp, f"sqlite+aiosqlite:///{tmp / 'iris.db'}")
    try:
        yield running
    finally:
        stop_server(running)


def _wait_until_up(running: Server) -> None:
    stop = time.monotonic() + 60
    while time.monotonic() < stop:
        if running.process.poll() is not None:
            pytest.fail(f"iris serve exited with {running.process.returncode}:\n{running.log_text()}")
        try:
            if httpx.get(f"{running.base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"iris serve did not answer /health within 60 s:\n{running.log_text()}")


def _known_resources(base_url: str) -> dict[str, dict[str, dict[str, str]]]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        filed = c.post("/api/v1/grievances", json={
            "complainant_role": "worker", "language": "ne",
            "corridor": {"origin": "NP", "destination": "QA"},
            "recruiter": {"name": "Fuzzed Agency"}, "narrative": "They kept my passport.",
        })
        assert filed.status_code == 201, filed.text
        roster = c.get("/api/v1/roster", params={"limit": 1})
        assert roster.status_code == 200, roster.text
        lrn = roster.json()["items"][0]["lrn"]
        code = c.get("/api/v1/codes-of-conduct").json()[0]
        sessions = c.get("/api/v1/training/sessions/open").json()
        assert sessions, "the demo has a training session open for registration"
    grievance = {"path_parameters": {"reference": filed.json()["reference"]},
                 "headers": {"IRIS-Access-Code": filed.json()["access_code"]}}
    code_path = {"code": code["code"], "version": code["version"]}
    return {
        "followGrievance": grievance, "messageCaseworker": grievance, "actOnGrievance": grievance,
        "getRosterEntry": {"path_parameters": {"lrn": lrn}},
        "subscribe": {"path_parameters": {"lrn": lrn}},
        "getCodeOfConductSchema": {"path_parameters": code_path},
        "validateSelfAssessment": {"path_parameters": code_path},
        "enrolInTrainingSession": {"path_parameters": {"case_id": sessions[0]["id"]}},
    }


# --- the schema ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_schema(server: Server) -> dict[str, Any]:
    r = httpx.get(f"{server.base_url}/schema/openapi.json", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield method, path, op


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[1] if ref.startswith("#/components/schemas/") else None


def _body_component(op: dict[str, Any]) -> str | None:
    content = (op.get("requestBody") or {}).get("content", {})
    return _ref_name(content.get("application/json", {}).get("schema", {}))


@pytest.fixture(scope="module")
def fuzz_schema(served_schema: dict[str, Any]) -> Any:
    """The document as served: the tests below pin that it says which operations are public
    and which bodies refuse unknown members, so the fuzzer can trust it."""
    return schemathesis.openapi.from_dict(served_schema)


# --- checks of our own --------------------------------------------------------------------------


def _header(response: Any, name: str) -> str:
    """A header of a schemathesis Response (lower-case names, a list of values each)."""
    return ", ".join(response.headers.get(name.lower(), []))


def _media_type(response: Any) -> str:
    return _header(response, "content-type").split(";")[0].strip().lower()


def check_no_server_error(response: Any, reproduce: str) -> None:
    assert response.status_code < 500, (
        f"{response.status_code} on hostile input:\n{reproduce}\n{response.text[:2000]}")


def check_problem_details(response: Any, reproduce: str) -> None:
    """Every 4xx is RFC 9457 problem+json in our shape (iris_engine/web/problems.py)."""
    if not 400 <= response.status_code < 500:
        return
    where = f"{response.status_code} for:\n{reproduce}\n{response.text[:2000]}"
    assert _media_type(response) == PROBLEM, f"Content-Type {_header(response, 'content-type')!r}: {where}"
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"a problem+json body that is not JSON: {where}") from None
    assert isinstance(body, dict), where
    for key, kind in (("type", str), ("title", str), ("status", int), ("detail", str)):
        assert isinstance(body.get(key), kind), f"problem member {key!r} missing or not {kind}: {where}"
    assert body["status"] == response.status_code, where
    errors = body.get("errors", [])
    assert isinstance(errors, list), where
    for item in errors:
        assert isinstance(item, dict), where
        pointer = item.get("pointer")
        assert isinstance(pointer, str) and pointer.startswith("/"), (
            f"errors[].pointer {pointer!r} is not a JSON pointer: {where}")
        assert isinstance(item.get("message"), str), where


def check_content_type_parameters(response: Any, reproduce: str) -> None:
    """A Content-Type repeats no parameter (e.g. not ``text/csv; charset=utf-8; charset=utf-8``)."""
    value = _header(response, "content-type")
    names = [p.split("=", 1)[0].strip().lower() for p in value.split(";")[1:] if p.strip()]
    assert len(names) == len(set(names)), (
        f"Content-Type {value!r} repeats a parameter ({response.status_code}) for:\n{reproduce}")


# --- the fuzzing --------------------------------------------------------------------------------


@pytest.mark.parametrize(("operation_id", "mode"), FUZZ_RUNS)
def test_fuzz_public_operation(server: Server, fuzz_schema: Any, operation_id: str,
                               mode: str) -> None:
    operation = fuzz_schema.find_operation_by_id(operation_id)
    fixed = server.known.get(operation_id, {}) if mode == "known" else {}
    strategy = operation.as_strategy(
        generation_mode=GenerationMode.NEGATIVE if mode == "negative" else GenerationMode.POSITIVE,
        **fixed)
    log_start = len(server.log_text())
    seen: set[int] = set()

    @given(case=strategy)
    # derandomize: CI draws the same inputs every run, so a red build is our change, not luck;
    # IRIS_TEST_FUZZ_RANDOM=1 explores new ones locally
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, print_blob=True,
              derandomize=not os.environ.get("IRIS_TEST_FUZZ_RANDOM"),
              suppress_health_check=list(HealthCheck),
              phases=(Phase.explicit, Phase.generate, Phase.shrink))
    def fuzz(case: Any) -> None:
        response = case.call(base_url=server.base_url, timeout=30)
        seen.add(response.status_code)
        reproduce = case.as_curl_command()
        check_no_server_error(response, reproduce)
        check_problem_details(response, reproduce)
        check_content_type_parameters(response, reproduce)
        case.validate_response(response, checks=ALL_CHECKS)

    try:
        fuzz()
    finally:
        # pytest shows this only when the test fails
        print(f"statuses seen: {sorted(seen)}\n--- server log during the test ---\n"
              f"{server.log_text(log_start)[-20000:]}")


# --- the served document ------------------------------------------------------------------------


def test_every_public_operation_is_fuzzed(served_schema: dict[str, Any]) -> None:
    """An operation that declares no security of its own is public (the staff ones all declare
    BearerToken): it must be in PUBLIC_OPERATIONS, or it is not fuzzed."""
    public = {op["operationId"] for _, path, op in _operations(served_schema)
              if "security" not in op or op["security"] == []} - {"health"}
    assert public == set(PUBLIC_OPERATIONS)


def test_public_operations_document_that_they_need_no_token(served_schema: dict[str, Any]) -> None:
    """A public operation must not inherit the document-wide ``security: [{BearerToken: []}]``
    (clients and generated SDKs would send, or demand, a token for filing a grievance)."""
    needs_token = []
    for method, path, op in _operations(served_schema):
        if op.get("operationId") in PUBLIC_OPERATIONS:
            effective = op.get("security", served_schema.get("security", []))
            if effective and {} not in effective:
                needs_token.append(f"{method.upper()} {path}")
    assert needs_token == [], (
        "public operations documented as needing a bearer token (they inherit the top-level "
        f"security requirement): {needs_token}")


def test_request_bodies_document_that_unknown_members_are_refused(
        server: Server, served_schema: dict[str, Any]) -> None:
    """A body the server refuses an unknown member of must say so (``additionalProperties:
    false``), or schema-following clients build requests the server answers 422."""
    undocumented = []
    components = served_schema["components"]["schemas"]
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        for method, path, op in _operations(served_schema):
            body = _body_component(op)
            if op.get("operationId") not in PUBLIC_OPERATIONS or body is None:
                continue
            url = path.replace("{reference}", "GRV-AAAAA-AAAAA").replace("{lrn}", "LRN00000000")
            r = c.request(method, url, json={"zz_not_a_member": 1},
                          headers={"IRIS-Access-Code": "x"})
            refused = r.status_code == 422 and any(
                e.get("pointer") == "/zz_not_a_member" for e in r.json().get("errors", []))
            if refused and components[body].get("additionalProperties") is not False:
                undocumented.append(f"{method.upper()} {path} ({body})")
    assert undocumented == [], (
        f"request bodies that refuse unknown members but allow them in the OpenAPI: {undocumented}")


def test_integer_query_parameters_beyond_the_database_range(
        server: Server, served_schema: dict[str, Any]) -> None:
    """What the fuzzer finds now and then, every time: an integer query parameter past the range
    of a database integer (32 bits on PostgreSQL, 64 on SQLite) is refused (4xx), never a 500."""
    failures = []
    with httpx.Client(base_url=server.base_url, timeout=30) as c:
        for method, path, op in _operations(served_schema):
            if op.get("operationId") not in PUBLIC_OPERATIONS or method != "get" or "{" in path:
                continue
            for param in op.get("parameters") or []:
                if param["in"] != "query" or param["schema"].get("type") != "integer":
                    continue
                for value in (2**31, 2**63, 2**64, -(2**63) - 1):
                    r = c.get(path, params={param["name"]: str(value)})
                    if r.status_code >= 500:
                        failures.append(f"GET {path}?{param['name']}={value} -> {r.status_code}")
                    elif r.status_code >= 400:
                        assert r.headers["content-type"].startswith(PROBLEM), r.text
    assert failures == [], f"server errors on out-of-range integers: {failures}"
