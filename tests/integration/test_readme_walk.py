"""The README's walks run as written: its shell blocks, taken from README.md, run in bash
(``set -euo pipefail``) against ``iris serve --demo`` started as the quick start starts it, in a
folder laid out like the clone (``./iris.db``, ``.venv/bin/iris``). A hard-coded id, an example
whose licence has ended or a changed answer stops the walk, and this test with it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_ENV, REPO, _postgres_url
from tests.integration.test_fuzz_public_api import _free_port, _iris

#: the headings whose first ``sh`` block is a walk, in the order a reader meets them
WALKS = ("## Walk an application through", "### Grievances: filing, following, deadlines, referral",
         "### Training: from a course to a verified certificate",
         "### Return and reintegration: from a referral to the first monitoring report")
#: where the quick start serves; the test serves on a free port instead
QUICK_START_URL = "http://127.0.0.1:8000"
#: the state after each event the walk fires (self-assessment, scope, submit, ...)
STATES = ["draft", "draft", "submitted", "accepted", "audit_planned", "audited", "decision",
          "accredited"]
SEPARATOR = "=== next walk ==="
#: what the return walk prints: the state after each event it fires, then the statistics'
#: smallest count shown
RETURN_STATES = ["consented", "eligible", "eligible", "risk_assessment", "risk_assessment",
                 "plan_approved", "travel_documents", "fit_to_travel", "fit_to_travel",
                 "travel_booked", "departed", "arrived", "monitoring", "5"]


def readme_block(heading: str, readme: str | None = None) -> str:
    """The first ```sh block after ``heading`` (a whole line) in README.md."""
    text = readme if readme is not None else (REPO / "README.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert heading in lines, f"README.md has no heading {heading!r}"
    start = lines.index(heading)
    opening = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "```sh")
    assert not any(line.startswith("#" * heading.count("#") + " ")
                   for line in lines[start + 1:opening]), f"no sh block under {heading!r}"
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i].strip() == "```")
    return "\n".join(lines[opening + 1:closing]) + "\n"


def test_walks_read_their_ids_from_answers() -> None:
    """No case id, LRN or grievance reference is written into a walk: each is read from an
    answer, so the walks hold whatever the demo holds."""
    for heading in WALKS:
        block = readme_block(heading)
        assert not re.search(r"/(applications|roster|grievances|grievance-cases|returns)/\d",
                             block), heading
        assert not re.search(r"\bLRN\d", block.replace("LRN000...", "")), heading
        assert not re.search(r"\"(auditor_id|non_conformity_id|partner_organisation_id)\":\s*\d",
                             block), heading


@pytest.fixture(params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str, dict[str, str]]]:
    """``iris serve --demo`` on a free port, run in a folder laid out like the clone: on SQLite
    exactly the quick start (``./iris.db`` made there); on PostgreSQL, IRIS_DATABASE_URL names
    a migrated database (what ``iris db upgrade`` leaves)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    env["IRIS_ANCHOR_INTERVAL_SECONDS"] = "0"  # nothing the walk looks at; saves a write
    database = None
    if request.param == "postgres":
        if _postgres_url() is None:
            pytest.skip(f"PostgreSQL not configured: set {PG_ENV}=postgresql+asyncpg://user@host/db "
                        "(.ci/run does)")
        server, template = request.getfixturevalue("postgres_template")
        database = server.create("iris_walk", template=template)
        env["IRIS_DATABASE_URL"] = server.url(database)
    clone = tmp_path / "clone"
    (clone / ".venv" / "bin").mkdir(parents=True)
    iris = clone / ".venv" / "bin" / "iris"
    iris.write_text("#!/bin/sh\nexec " + " ".join(f"'{part}'" for part in _iris()) + ' "$@"\n')
    iris.chmod(0o755)
    python = clone / ".venv" / "bin" / "python"  # the training walk's offline verifier
    python.write_text(f"#!/bin/sh\nexec '{sys.executable}' \"$@\"\n")
    python.chmod(0o755)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(iris), "serve", "--demo", "--port", str(port)], cwd=clone,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(process, f"http://127.0.0.1:{port}", log)
        yield clone, f"http://127.0.0.1:{port}", env
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        if database is not None:
            server.drop(database)


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    # the demo seeds ~300 recruiters first: tens of seconds, more on a busy machine
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"iris serve --demo exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"iris serve --demo did not answer /health within 300 s:\n{log.read_text()}")


def test_readme_walks_run_as_written(served: tuple[Path, str, dict[str, str]]) -> None:
    for tool in ("bash", "curl", "python3"):
        assert shutil.which(tool), f"the README walk needs {tool} (.ci/run installs curl)"
    clone, base_url, env = served
    walk, grievance, training, returns = (readme_block(heading) for heading in WALKS)
    assert walk.count(QUICK_START_URL) == 1
    assert not any(QUICK_START_URL in block for block in (grievance, training, returns))
    script = "\n".join(["set -euo pipefail", walk.replace(QUICK_START_URL, base_url),
                        f"echo '{SEPARATOR}'", grievance, f"echo '{SEPARATOR}'", training,
                        f"echo '{SEPARATOR}'", returns])
    done = subprocess.run(["bash", "-c", script], cwd=clone, env=env, capture_output=True,
                          text=True, timeout=300)
    shown = f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    if done.returncode != 0:  # what the server said meanwhile (the fixture's log beside the clone)
        served_log = (clone.parent / "serve.log").read_text(errors="replace")
        shown += "\n--- the server's log, its end\n" + served_log[-6000:]
    assert done.returncode == 0, shown
    walked, filed, trained, returned = (part.strip().splitlines()
                                        for part in done.stdout.split(SEPARATOR))

    # the application went all the way, one state per fired event, in the walk's order
    assert [line for line in walked if line in STATES] == STATES, shown
    # the last line is the public roster's entry: the new recruiter, accredited, with its LRN
    entry = json.loads(walked[-1])
    assert re.fullmatch(r"LRN\d{8}", entry["lrn"]), shown
    assert (entry["name"], entry["status"], entry["current"]) == (
        "Lotus Fair Recruitment", "accredited", True), shown
    public = httpx.get(f"{base_url}/api/v1/roster", params={"q": "Lotus Fair Recruitment"}).json()
    assert entry["lrn"] in [item["lrn"] for item in public["items"]]

    # the grievance walk: filed against an LRN read from the roster, followed with its code
    answer = json.loads(filed[0])
    assert re.fullmatch(r"GRV-[0-9A-Z]{5}-[0-9A-Z]{5}", answer["reference"]), shown
    assert filed[-1] == "received", shown

    # the training walk: a course with derived CPD hours, a session opened, a learner certified,
    # the certificate valid at the public endpoint and its credential verified offline
    assert trained == ["1.0", "registration_open", "certified", "valid",
                       "Spotting human trafficking: a one-hour briefing"], shown
    certificate = (clone / "certificate.pdf").read_bytes()
    assert certificate.startswith(b"%PDF-"), shown

    # the return walk: referred, consented, shared, assessed, approved, travelled, arrived and
    # monitored, one state per event; then the statistics' threshold
    assert returned == RETURN_STATES, shown
