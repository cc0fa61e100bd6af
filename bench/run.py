"""IRIS Engine benchmark: roster reads and accreditation transitions, as ratios to a bare
Litestar handler measured in the same run.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--duration 10] [--reuse-seed]

For each database: seed it (bench/seed.py; both databases in parallel, before any
measurement), then run each IRIS scenario on a fresh single uvicorn process on 127.0.0.1:

  roster        GET /api/v1/roster, ~200 realistic queries in rotation, IRIS_ROSTER_CACHE_SECONDS=1
  roster_ttl0   the same with IRIS_ROSTER_CACHE_SECONDS=0 (roster version read on every request)
  roster_miss   6,000 distinct queries in rotation (more than the 2,048-page cache): the SQL path
  roster_entry_miss  GET /api/v1/roster/{lrn}, 6,000 distinct entries in rotation: every one read
  roster_page   GET /roster, the public search page (HTML): its first page and name fragments
  roster_page_gzip  the same as a browser asks for it (Accept-Encoding: gzip, deflate, br, zstd)
  transitions   POST /api/v1/applications/{id}/transitions: suspend/reinstate cycles (200s count)
  grievances    POST /api/v1/grievances: anonymous-form filings, no log-in (201s count; any other
                status fails the run); rate limit lifted, fixed IRIS_DATA_KEYS, scheduler off
  enrolments    POST /api/v1/training/sessions/{id}/enrolments: public self-enrolments (202s)
  returns       POST /api/v1/returns/{id}/transitions: record_nrm_status on eligible return
                cases, as a return officer (200s count; each must have written its event)

``--only grievances`` (comma-separated names) runs a subset of these scenarios.

Each scenario gets a ``--warmup`` second wrk pass, then ``--rounds`` rounds that alternate with
the bare handler (bench/bare_app.py, GET /bare, its own uvicorn process with the same settings):
bare, IRIS, bare, IRIS, ..., bare. IRIS runs ``--duration``/``--rounds`` seconds per round,
the bare handler half that. A round's ratio = its IRIS rate / the mean of the bare runs on
either side; the scenario's ratio = its total IRIS rate / the mean of those references. On a
shared, noisy machine this cancels drift far better than one bare run at the start.
Writes bench/results/<timestamp>.json and prints a Markdown table. See bench/README.md.

``--scenario timers`` runs bench/timers.py instead (no HTTP): timers swept per second by the
real ticker against a 100,000-timer backlog, 1..N ticker processes, on fresh databases, with
the bare handler measured around each window for the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "lua"
RESULTS = HERE / "results"
WORK = Path(os.environ.get("IRIS_BENCH_WORKDIR", "/tmp/bench"))
sys.path.insert(0, str(HERE))

import returns as return_bench  # noqa: E402  (bench/returns.py)
import seed as seeding  # noqa: E402  (bench/seed.py)

MANAGER = ("manager@demo.iris.example", "demo-manager-2026")
#: what Chromium sends: the pages go to browsers compressed (``iris_engine.web.encoding``)
BROWSER_ACCEPT_ENCODING = "gzip, deflate, br, zstd"
TARGETS = {"roster": 0.5, "roster_page": 0.5, "roster_page_gzip": 0.5, "transitions": 0.10,
           "grievances": 0.10}
IRIS_SCENARIOS = ["roster", "roster_ttl0", "roster_miss", "roster_entry_miss", "roster_page",
                  "roster_page_gzip",
                  "staff_lists", "transitions",
                  "grievances", "enrolments", "returns"]
# grievances: a fixed AES-256-GCM data key (id:base64url of 32 random bytes, made once with
# `iris keys generate`'s format), so every run seals with the same key and the server does not
# fall back to the development key. A benchmark key: never use it for real data
BENCH_DATA_KEY = "bench:GjCbLdWSuhFlfa0b2_6RqhBVtu-1-tR3OT89dyF7zTk"
GRIEVANCE_ENV = {"IRIS_PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000",  # lift the 10/min form limit
                 "IRIS_DATA_KEYS": BENCH_DATA_KEY, "IRIS_SCHEDULER": "false"}
ROSTER_CACHE_PAGES = 2048  # Roster(max_entries=...) default in iris_engine/roster/service.py


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- servers -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn ``--workers N``: a supervisor and N workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS in kB, from /proc/<pid>/status, summed over the process and
    its workers."""
    out = {"VmHWM": 0, "VmRSS": 0}
    for member in _tree(pid):
        try:
            with open(f"/proc/{member}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in out:
                        out[key] += int(value.split()[0])
        except OSError:
            continue
    return out


def machine_cpu() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine (all cores) so far, from /proc/stat.
    Busy excludes idle, iowait and steal; steal is time the hypervisor gave to someone else."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]] + [0] * 8
    tick = os.sysconf("SC_CLK_TCK")
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / tick, v[7] / tick


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process and its live descendants (the workers of ``--workers N``;
    they live as long as the server), from /proc/<pid>/stat."""
    total = 0
    for member in _tree(pid):
        try:
            with open(f"/proc/{member}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, *, quiet_cpu_s: float = 0.01, limit_s: float = 15) -> None:
    """Wait (bounded) until the server stops burning CPU: requests wrk abandoned at the end
    of a run are still being processed and may commit after it returns."""
    deadline = time.monotonic() + limit_s
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = cpu_seconds(pid)
        if now - last < quiet_cpu_s:
            return
        last = now


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextlib.contextmanager
def serve(app: str, env: dict[str, str], ready_path: str, log_path: Path,
          app_dir: Path | None = None, workers: int = 1) -> Iterator[Server]:
    """One uvicorn server (``--workers 1`` runs in-process: the pid is the server; with more,
    the pid is the supervisor and CPU and memory are summed over it and its workers)."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning"]
    if app_dir:
        cmd += ["--app-dir", str(app_dir)]
    log_file = open(log_path, "ab")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = Server(proc, port, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:  # bounded by the deadline
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(server.url(ready_path), timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after 30 s; see {log_path}")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        log_file.close()


def iris_env(db: str, *, cache_seconds: float,
             extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    env.update(IRIS_DATABASE_URL=seeding.database_url(db), IRIS_SECRET_KEY=seeding.BENCH_SECRET,
               IRIS_ROSTER_CACHE_SECONDS=str(cache_seconds),
               IRIS_ANCHOR_DIR=str(WORK / "anchors" / db), **(extra or {}))
    return env


# -- load generation -----------------------------------------------------------------------
@dataclass
class Load:
    threads: int
    connections: int
    duration: float
    warmup: float
    #: uvicorn worker processes of each IRIS server (the bare reference always has one)
    workers: int = 1


def wrk(load: Load, scenario: str, url: str, env: dict[str, str], seconds: float) -> dict[str, Any]:
    script = Path(tempfile.mkstemp(prefix=f"wrk-{scenario}-", suffix=".lua", dir=WORK)[1])
    script.write_text((LUA / "report.lua").read_text() + "\n"
                      + (LUA / f"{scenario}.lua").read_text())
    cmd = ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{max(1, round(seconds))}s",
           "--timeout", "10s", "-s", str(script), url]
    try:
        out = subprocess.run(cmd, env={**os.environ, **env, "BENCH_THREADS": str(load.threads)},
                             capture_output=True, text=True, timeout=seconds + 60)
    finally:
        script.unlink(missing_ok=True)
    match = re.search(r"^WRK_RESULT (\{.*\})$", out.stdout, re.M)
    if out.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({out.returncode}): "
                           f"{out.stdout[-2000:]} {out.stderr[-2000:]}")
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def run_once(load: Load, server: Server, scenario: str, path: str, env: dict[str, str],
             seconds: float) -> dict[str, Any]:
    """One wrk run, with the server's CPU, wrk's CPU and the rest of the machine's CPU."""
    children = resource.RUSAGE_CHILDREN
    cpu0, (busy0, steal0) = cpu_seconds(server.pid), machine_cpu()
    kids0 = resource.getrusage(children)
    raw = wrk(load, scenario, server.url(path), env, seconds)
    cpu1, (busy1, steal1) = cpu_seconds(server.pid), machine_cpu()
    kids1 = resource.getrusage(children)
    wrk_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    raw["server_cpu_s"] = cpu1 - cpu0
    raw["wrk_cpu_s"] = wrk_cpu
    raw["other_cpu_s"] = max(0.0, (busy1 - busy0) - (cpu1 - cpu0) - wrk_cpu)
    raw["steal_cpu_s"] = steal1 - steal0
    raw["seconds"] = raw["duration_us"] / 1e6
    raw["rate"] = raw["counters"].get("ok", raw["requests"]) / raw["seconds"]
    return raw


def merged_percentiles(runs: list[dict[str, Any]], points: tuple[float, ...]) -> list[float]:
    """Percentiles (ms) of several runs together, from each run's quantile function: the
    point at percentile p_i stands for (p_i - p_(i-1))% of that run's requests."""
    weighted: list[tuple[int, float]] = []
    for run in runs:
        previous = 0.0
        for p, us in run["quantiles_us"]:
            weighted.append((us, run["requests"] * (p - previous) / 100))
            previous = p
    weighted.sort()
    total = sum(w for _, w in weighted)
    out = []
    for p in points:
        rank, acc = total * p / 100, 0.0
        value = weighted[-1][0] if weighted else 0
        for us, w in weighted:
            acc += w
            if acc >= rank - 1e-9:
                value = us
                break
        out.append(value / 1000)
    return out


def summarise(runs: list[dict[str, Any]], pid: int) -> dict[str, Any]:
    """Several runs of one scenario as one result (peak RSS read now, from the live server)."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    p50, p90, p99, p999 = merged_percentiles(runs, (50, 90, 99, 99.9))
    counters: dict[str, int] = {}
    errors: dict[str, int] = {}
    for r in runs:
        for k, v in r["counters"].items():
            counters[k] = counters.get(k, 0) + v
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    server_cpu = sum(r["server_cpu_s"] for r in runs)
    mem = proc_status(pid)
    result: dict[str, Any] = {
        "runs": len(runs), "requests": requests, "seconds": round(seconds, 3),
        "requests_per_s": round(requests / seconds, 1),
        "p50_ms": p50, "p90_ms": p90, "p99_ms": p99, "p99_9_ms": p999,
        "mean_ms": round(sum(r["latency_us"]["mean"] * r["requests"] for r in runs)
                         / max(1, requests) / 1000, 3),
        "max_ms": max(r["latency_us"]["max"] for r in runs) / 1000,
        "bytes_per_response": round(sum(r["bytes"] for r in runs) / max(1, requests)),
        "non_2xx": errors.pop("status", 0), "socket_errors": errors,
        "peak_rss_mb": round(mem["VmHWM"] / 1024, 1), "rss_mb": round(mem["VmRSS"] / 1024, 1),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, requests), 3),
        "wrk_cpu_s": round(sum(r["wrk_cpu_s"] for r in runs), 2),
        # everything else the machine did meanwhile: PostgreSQL, other people's jobs
        "other_cpu_s": round(sum(r["other_cpu_s"] for r in runs), 2),
        "steal_cpu_s": round(sum(r["steal_cpu_s"] for r in runs), 2),
        "rate_per_run": [round(r["rate"], 1) for r in runs],
    }
    if counters:
        result["counters"] = counters
    if "ok" in counters:  # transitions: only 200s count; grievances: only 201s
        result["ok"] = counters["ok"]
        result["ok_per_s"] = round(counters["ok"] / seconds, 1)
        result["non_2xx"] = requests - counters["ok"]
    return result


def paired(load: Load, rounds: int, server: Server, bare_server: Server, scenario: str,
           path: str, env: dict[str, str], before_round: Any = None) -> dict[str, Any]:
    """Warm up, then bare, IRIS, bare, IRIS, ..., bare; ratios against neighbouring bare runs."""
    chunk = max(1, round(load.duration / rounds))
    bare_chunk = max(1, round(chunk / 2))
    offset = 0  # roster scripts: each run continues through the query list
    warmup: dict[str, Any] = {}
    if load.warmup > 0:
        warmup = wrk(load, scenario, server.url(path), {**env, "BENCH_OFFSET": "0"}, load.warmup)
        offset += warmup["requests"] // load.threads
    bare_runs = [run_once(load, bare_server, "bare", "/bare", {}, bare_chunk)]
    iris_runs = []
    for _ in range(rounds):
        if before_round:
            before_round()
        iris_runs.append(run_once(load, server, scenario, path,
                                  {**env, "BENCH_OFFSET": str(offset)}, chunk))
        offset += iris_runs[-1]["requests"] // load.threads
        bare_runs.append(run_once(load, bare_server, "bare", "/bare", {}, bare_chunk))
    refs = [(bare_runs[i]["rate"] + bare_runs[i + 1]["rate"]) / 2 for i in range(rounds)]
    per_round = [r["rate"] / ref for r, ref in zip(iris_runs, refs, strict=True)]
    iris = summarise(iris_runs, server.pid)
    reference = statistics.fmean(refs)
    iris.update(bare_reference_per_s=round(reference, 1),
                ratio=round(iris.get("ok_per_s", iris["requests_per_s"]) / reference, 4),
                ratio_per_round=[round(x, 4) for x in per_round])
    if warmup:  # not measured, but its requests reached the server (grievances: rows written)
        iris["warmup"] = {k: warmup[k] for k in ("requests", "counters", "errors")}
    return {"iris": iris, "bare": summarise(bare_runs, bare_server.pid)}


# -- HTTP helpers (stdlib only) --------------------------------------------------------------
def http_json(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers,
                                 method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


# -- roster queries ------------------------------------------------------------------------
FRAGMENTS = ["everest", "himalayan", "annapurna", "manila", "bayanihan", "cebu", "nairobi",
             "savannah", "dhaka", "padma", "bengal", "saigon", "mekong", "lotus", "azteca",
             "monterrey", "quetzal", "maya", "lanka", "ceylon", "addis", "habesha", "garuda",
             "nusantara", "global", "horizon", "sunrise", "bridge", "fair", "summit", "harbour",
             "compass", "pioneer", "golden", "pacific", "royal", "ethical", "green", "phoenix",
             "falcon", "liberty", "safe journey", "first choice", "manpower", "recruit",
             "overseas", "staffing", "placement", "hr serv", "workforce", "employment agency",
             "pvt. ltd", "s.a. de c.v.", "jsc", "global manpower", "golden star", "blue sky",
             "xq", "zzz"]  # the last two match nothing: a full scan


def _countries() -> list[str]:
    out: list[str] = []
    for home, (dests, _, _) in seeding.CORRIDORS.items():
        for c in (home, *dests):
            if c not in out:
                out.append(c)
    return out


def _path(params: list[tuple[str, Any]]) -> str:
    return "/api/v1/roster" + ("?" + urllib.parse.urlencode(params) if params else "")


def roster_queries(rng: random.Random) -> list[list[tuple[str, Any]]]:
    countries = _countries()
    statuses = ["accredited", "suspended", "withdrawn", "expired"]
    qs: list[list[tuple[str, Any]]] = [[], [("limit", 50)], [("limit", 100)], [("limit", 200)]]
    qs += [[("q", f)] for f in FRAGMENTS]
    qs += [[("country", c)] for c in countries]
    qs += [[("status", s)] for s in statuses]
    qs += [[("status", "suspended"), ("status", "withdrawn")],
           [("status", "withdrawn"), ("status", "expired")],
           [("status", "accredited"), ("status", "suspended")]]
    qs += [[("lrn", p)] for p in ("LRN001", "LRN0012", "LRN00150", "LRN001234", "LRN000122",
                                  "lrn0019")]
    bulk = seeding.FIRST_BULK_LRN
    qs += [[("lrn", f"LRN{rng.randrange(bulk, bulk + 100_000):08d}")] for _ in range(10)]
    words = FRAGMENTS[:-2]
    qs += [[("q", rng.choice(words)), ("country", rng.choice(countries))] for _ in range(28)]
    qs += [[("country", rng.choice(countries)), ("status", rng.choice(statuses))]
           for _ in range(20)]
    qs += [[("q", rng.choice(FRAGMENTS[:-2])), ("status", rng.choice(statuses))] for _ in range(15)]
    seen, out = set(), []
    for q in qs:
        key = _path(q)
        if key not in seen:
            seen.add(key)
            out.append(q)
    return out


def roster_hit_paths(server: Server, target: int = 200) -> list[str]:
    """~200 queries: filters of every kind plus pages 2 and 3 of some (real cursors)."""
    rng = random.Random(2026)
    queries = roster_queries(rng)
    paths = [_path(q) for q in queries]
    for q in queries:
        if len(paths) >= target:
            break
        cursor_from = q
        for _ in range(2):  # pages 2 and 3
            page = http_json(server.url(_path(cursor_from)))
            if not page.get("next_cursor") or len(paths) >= target:
                break
            cursor_from = [p for p in q if p[0] != "cursor"] + [("cursor", page["next_cursor"])]
            paths.append(_path(cursor_from))
    return paths[:target]


def roster_miss_paths(count: int = 6000) -> list[str]:
    """More distinct queries than the cache holds, so (in rotation) every request misses:
    half certificate-number look-ups, half name fragment x country x status searches."""
    rng = random.Random(7)
    countries = _countries()
    statuses = ["accredited", "suspended", "withdrawn", "expired"]
    bulk = seeding.FIRST_BULK_LRN
    out: set[str] = set()
    lrns = rng.sample(range(bulk, bulk + 100_000), count // 2)
    out.update(_path([("lrn", f"LRN{n:08d}")]) for n in lrns)
    for _ in range(count * 10):  # bounded
        if len(out) >= count:
            break
        params: list[tuple[str, Any]] = [("q", rng.choice(FRAGMENTS[:-2]))]
        if rng.random() < 0.7:
            params.append(("country", rng.choice(countries)))
        if rng.random() < 0.5:
            params.append(("status", rng.choice(statuses)))
        params.append(("limit", rng.choice([10, 20, 25, 50])))
        out.add(_path(params))
    paths = sorted(out)
    rng.shuffle(paths)
    return paths


def roster_entry_paths(count: int = 6000) -> list[str]:
    """Roster entries by certificate number (``/api/v1/roster/{lrn}``), more distinct ones
    than the cache holds, so (in rotation) every request reads its entry from the database."""
    rng = random.Random(11)
    bulk = seeding.FIRST_BULK_LRN
    return [f"/api/v1/roster/LRN{n:08d}" for n in rng.sample(range(bulk, bulk + 100_000), count)]


def roster_page_paths() -> list[str]:
    """The public search page as a worker opens it: the first page (no query), and a search
    by each name fragment (the two that match nothing show the "no results" page)."""
    return ["/roster"] + ["/roster?" + urllib.parse.urlencode({"q": f}) for f in FRAGMENTS]


async def _case_range(url: str) -> tuple[int, list[str]]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            last = (await conn.execute(text("SELECT max(id) FROM case_file"))).scalar_one()
            lrns = (await conn.execute(text(
                "SELECT lrn FROM accreditation WHERE lrn IS NOT NULL ORDER BY case_id"))).scalars()
            return int(last or 1), [str(x) for x in lrns]
    finally:
        await engine.dispose()


def staff_list_paths(db: str) -> list[str]:
    """The staff workspace's lists as a scheme manager (who sees every application) pages and
    searches them across the seeded applications: My work, the first page, pages deep in the
    list (``after``), a state's pages, pages of what waits for the manager, a search by name
    fragment, by LRN and by case number."""
    rng = random.Random(16)
    last, lrns = asyncio.run(_case_range(seeding.database_url(db)))
    paths = ["/staff", "/staff/accreditation"]
    for _ in range(60):
        paths.append("/staff/accreditation?" + urllib.parse.urlencode(
            {"after": rng.randrange(1, last)}))
    for _ in range(30):
        paths.append("/staff/accreditation?" + urllib.parse.urlencode(
            {"state": rng.choice(["accredited", "suspended", "expired"]),
             "after": rng.randrange(1, last)}))
    for _ in range(20):
        paths.append("/staff/accreditation?" + urllib.parse.urlencode(
            {"waiting": "true", "after": rng.randrange(1, last)}))
    paths += ["/staff/accreditation?" + urllib.parse.urlencode({"q": f})
              for f in rng.sample(FRAGMENTS[:-2], 40)]
    paths += ["/staff/accreditation?" + urllib.parse.urlencode({"q": lrn})
              for lrn in rng.sample(lrns, min(30, len(lrns)))]
    paths += ["/staff/accreditation?" + urllib.parse.urlencode({"q": str(rng.randrange(1, last))})
              for _ in range(18)]
    return paths


# -- transitions ---------------------------------------------------------------------------
async def _bench_cases(url: str) -> list[tuple[int, int, str]]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT id, revision, state FROM case_file WHERE workflow = 'accreditation' "
                "AND revision > 0 AND state IN ('accredited', 'suspended') ORDER BY id"))).all()
    finally:
        await engine.dispose()
    return [(int(i), int(r), str(s)) for i, r, s in rows]


def write_cases(db: str, path: Path) -> list[tuple[int, int, str]]:
    """The workflow-walked cases that can cycle suspend/reinstate, with current revisions."""
    cases = asyncio.run(_bench_cases(seeding.database_url(db)))
    path.write_text("".join(f"{i} {r} {s}\n" for i, r, s in cases))
    return cases


# -- grievances ---------------------------------------------------------------------------
GRIEVANCE_COUNTS = {
    "grievance": "SELECT count(*) FROM grievance",
    "grievance_cases": "SELECT count(*) FROM case_file WHERE workflow = 'grievance'",
    "grievance_events": "SELECT count(*) FROM case_event e JOIN case_file c ON c.id = e.case_id "
                        "WHERE c.workflow = 'grievance'",
    "grievance_timers": "SELECT count(*) FROM timer t JOIN case_file c ON c.id = t.case_id "
                        "WHERE c.workflow = 'grievance'",
    "outbox_messages": "SELECT count(*) FROM outbox_message",
}


#: what one public self-enrolment writes: a learner, an enrolment case with its detail, one
#: audit event, the confirmation's lapse timer, the confirmation e-mail
ENROLMENT_COUNTS = {
    "enrolment": "SELECT count(*) FROM training_enrolment",
    "enrolment_cases": "SELECT count(*) FROM case_file WHERE workflow = 'enrolment'",
    "enrolment_events": "SELECT count(*) FROM case_event e JOIN case_file c ON c.id = e.case_id "
                        "WHERE c.workflow = 'enrolment'",
    "learners": "SELECT count(*) FROM training_learner",
    "outbox_messages": "SELECT count(*) FROM outbox_message",
}


async def _counts(url: str, queries: dict[str, str]) -> dict[str, int]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return {k: int((await conn.execute(text(q))).scalar_one())
                    for k, q in queries.items()}
    finally:
        await engine.dispose()


def enrolment_counts(db: str) -> dict[str, int]:
    return asyncio.run(_counts(seeding.database_url(db), ENROLMENT_COUNTS))


def enrolment_check(before: dict[str, int], after: dict[str, int], result: dict[str, Any],
                    connections: int) -> dict[str, Any]:
    """Every response a 202, and each counted enrolment (warm-up included, plus at most one
    abandoned request per connection per wrk run) wrote one case, one detail row, one learner
    and one audit event."""
    warm = result.get("warmup", {"requests": 0, "counters": {}, "errors": {}})
    counted = result["ok"] + warm["counters"].get("ok", 0)
    responses = result["requests"] + warm["requests"]
    wrk_runs = result["runs"] + (1 if result.get("warmup") else 0)
    grown = {k: after[k] - before[k] for k in before}
    abandoned = grown["enrolment"] - counted
    problems = []
    if responses - counted:
        problems.append(f"{responses - counted} responses were not 202 (counters: "
                        f"{result['counters']}, warm-up {warm['counters']})")
    if not 0 <= abandoned <= connections * wrk_runs:
        problems.append(f"enrolment rows grew by {grown['enrolment']}, wrk counted {counted}")
    for k in ("enrolment_cases", "enrolment_events", "learners"):
        if grown[k] != grown["enrolment"]:
            problems.append(f"{k} grew by {grown[k]}, enrolments by {grown['enrolment']}")
    return {"ok": not problems, "problems": problems, "responses": responses,
            "counted_202": counted, "rows_grown": grown, "abandoned_committed": abandoned}


def grievance_counts(db: str) -> dict[str, int]:
    """Rows of the grievance table and what each filing writes beside it, read from the DB."""
    return asyncio.run(_counts(seeding.database_url(db), GRIEVANCE_COUNTS))


def grievance_check(before: dict[str, int], after: dict[str, int], result: dict[str, Any],
                    connections: int) -> dict[str, Any]:
    """Every response a 201, and the grievance table grew by the 201s wrk counted (warm-up
    included) plus at most one request per connection per wrk run that wrk abandoned when
    its run ended (the server still completes and commits those: they are never counted)."""
    warm = result.get("warmup", {"requests": 0, "counters": {}, "errors": {}})
    counted = result["ok"] + warm["counters"].get("ok", 0)
    responses = result["requests"] + warm["requests"]
    wrk_runs = result["runs"] + (1 if result.get("warmup") else 0)
    grown = {k: after[k] - before[k] for k in before}
    socket_errors = {k: v + warm["errors"].get(k, 0) for k, v in result["socket_errors"].items()}
    non_201 = responses - counted
    abandoned = grown["grievance"] - counted
    problems = []
    if non_201:
        problems.append(f"{non_201} responses were not 201 (counters: {result['counters']}, "
                        f"warm-up {warm['counters']}); a 429 means the rate limit was not lifted")
    if any(socket_errors.values()):
        problems.append(f"socket errors/timeouts: {socket_errors}")
    if not 0 <= abandoned <= connections * wrk_runs:
        problems.append(f"grievance rows grew by {grown['grievance']}, wrk counted {counted} "
                        f"201s (allowed: up to {connections * wrk_runs} more, abandoned requests)")
    for k in ("grievance_cases", "grievance_events", "grievance_timers"):
        if grown[k] != grown["grievance"]:
            problems.append(f"{k} grew by {grown[k]}, grievance rows by {grown['grievance']} "
                            "(expected one case, one audit event, one timer per filing)")
    return {"ok": not problems, "problems": problems, "responses": responses,
            "counted_201": counted, "non_201": non_201, "rows_before": before,
            "rows_after": after, "rows_grown": grown, "abandoned_committed": abandoned,
            "abandoned_allowed": connections * wrk_runs}


def audit_verify(db: str) -> dict[str, Any]:
    """``iris audit verify`` on the database: every case's hash chain still intact?"""
    env = iris_env(db, cache_seconds=1.0)
    cmd = [sys.executable, "-c", "from iris_engine.cli import main; main()", "audit", "verify"]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return {"exit_code": out.returncode, "output": (out.stdout + out.stderr).strip()[-500:]}


# -- one database --------------------------------------------------------------------------
def bench_database(db: str, load: Load, rounds: int, stamp: str,
                   only: list[str] | None = None) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    bare: dict[str, Any] = {}
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    hit_file = WORK / f"{stamp}-{db}-roster-paths.txt"
    miss_file = WORK / f"{stamp}-{db}-roster-miss-paths.txt"
    page_file = WORK / f"{stamp}-{db}-roster-page-paths.txt"
    entry_file = WORK / f"{stamp}-{db}-roster-entry-paths.txt"
    cases_file = WORK / f"{stamp}-{db}-cases.txt"
    staff_file = WORK / f"{stamp}-{db}-staff-paths.txt"

    with serve("bare_app:app", base_env, "/bare", logs / f"{stamp}-{db}-bare.log",
               app_dir=HERE) as bare_server:
        wrk(load, "bare", bare_server.url("/bare"), {}, 1)  # warm the reference up once

        def scenario(name: str, cache_seconds: float, script: str, paths_file: Path | None,
                     prepare: Any = None, server_env: dict[str, str] | None = None) -> None:
            if only and name not in only:
                return
            log(f"{db}: {name}")
            with serve("iris_engine.asgi:app",
                       iris_env(db, cache_seconds=cache_seconds, extra=server_env),
                       "/api/v1/roster?limit=1", logs / f"{stamp}-{db}-{name}.log",
                       workers=load.workers) as server:
                extra: dict[str, Any] = {}
                env: dict[str, str] = {}
                before_round = None
                if name == "grievances":
                    path = "/api/v1/grievances"
                    counts_before = grievance_counts(db)
                elif name == "enrolments":
                    sessions = http_json(server.url("/api/v1/training/sessions/open"))
                    ids = [str(x["id"]) for x in sessions]
                    if not ids:
                        raise SystemExit("enrolments: the seed has no session open for "
                                         "registration")
                    env["BENCH_SESSIONS"] = ",".join(ids)
                    extra["sessions"] = len(ids)
                    path = "/api/v1/training/sessions"
                    counts_before = enrolment_counts(db)
                elif name == "returns":
                    token = return_bench.prepare(db, server.url, http_json, BENCH_DATA_KEY)
                    return_bench.write_cases(db, cases_file)
                    env = {"BENCH_TOKEN": token, "BENCH_CASES": str(cases_file)}
                    path = "/api/v1/returns"
                    events_before = return_bench.event_count(db)

                    def before_round() -> None:
                        wait_idle(server.pid)  # let abandoned requests commit, then re-read
                        return_bench.write_cases(db, cases_file)
                elif name == "staff_lists":
                    login = {"email": MANAGER[0], "password": MANAGER[1]}
                    token = http_json(server.url("/api/v1/auth/token"), login)["access_token"]
                    staff_file.write_text("\n".join(staff_list_paths(db)) + "\n")
                    # the workspace's session cookie holds the API's own token
                    env = {"BENCH_PATHS": str(staff_file), "BENCH_COOKIE": f"iris_staff={token}",
                           "BENCH_ACCEPT_ENCODING": BROWSER_ACCEPT_ENCODING}
                    extra["distinct_queries"] = len(staff_file.read_text().split())
                    path = "/staff"
                elif paths_file is not None:
                    if prepare:
                        paths_file.write_text("\n".join(prepare(server)) + "\n")
                    env["BENCH_PATHS"] = str(paths_file)
                    if name.endswith("_gzip"):
                        env["BENCH_ACCEPT_ENCODING"] = BROWSER_ACCEPT_ENCODING
                    extra["distinct_queries"] = len(paths_file.read_text().split())
                    path = "/api/v1/roster"
                else:  # transitions
                    login = {"email": MANAGER[0], "password": MANAGER[1]}
                    token = http_json(server.url("/api/v1/auth/token"), login)["access_token"]
                    write_cases(db, cases_file)
                    env = {"BENCH_TOKEN": token, "BENCH_CASES": str(cases_file)}
                    path = "/api/v1/applications"
                    start: list[list[tuple[int, int, str]]] = []

                    def before_round() -> None:
                        # requests wrk abandoned at the end of the last run may still commit:
                        # let them, then re-read every case's revision
                        wait_idle(server.pid)
                        start.append(write_cases(db, cases_file))

                result = paired(load, rounds, server, bare_server, script, path, env,
                                before_round)
                if name == "grievances":
                    wait_idle(server.pid)  # abandoned filings still commit: let them
                    check = grievance_check(counts_before, grievance_counts(db), result["iris"],
                                            load.connections)
                    extra.update(filings=result["iris"]["ok"],
                                 filings_per_s=result["iris"]["ok_per_s"], check=check,
                                 server_env={k: ("<fixed bench key>" if k == "IRIS_DATA_KEYS"
                                                 else v) for k, v in GRIEVANCE_ENV.items()})
                    log(f"{db}: grievances check {'ok' if check['ok'] else 'FAILED'}: "
                        f"{check['counted_201']} 201s counted, grievance rows +"
                        f"{check['rows_grown']['grievance']}, non-201 {check['non_201']}"
                        + "".join(f"; {x}" for x in check["problems"]))
                elif name == "enrolments":
                    wait_idle(server.pid)
                    check = enrolment_check(counts_before, enrolment_counts(db), result["iris"],
                                            load.connections)
                    extra.update(enrolments=result["iris"]["ok"],
                                 enrolments_per_s=result["iris"]["ok_per_s"], check=check)
                    log(f"{db}: enrolments check {'ok' if check['ok'] else 'FAILED'}: "
                        f"{check['counted_202']} 202s counted, enrolment rows +"
                        f"{check['rows_grown']['enrolment']}"
                        + "".join(f"; {x}" for x in check["problems"]))
                elif name == "returns":
                    wait_idle(server.pid)
                    check = return_bench.returns_check(
                        events_before, return_bench.event_count(db), result["iris"],
                        load.connections)
                    extra.update(cases=len(cases_file.read_text().split("\n")) - 1,
                                 transitions=result["iris"]["ok"],
                                 transitions_per_s=result["iris"]["ok_per_s"], check=check)
                    log(f"{db}: returns check {'ok' if check['ok'] else 'FAILED'}: "
                        f"{check['counted_200']} 200s counted, record_nrm_status events +"
                        f"{check['events_grown']}" + "".join(f"; {x}" for x in check["problems"]))
                elif name == "transitions":
                    wait_idle(server.pid)
                    end = write_cases(db, WORK / f"{stamp}-{db}-cases-after.txt")
                    extra["cases"] = len(end)
                    # cross-check: revisions committed during the measured rounds vs 200s
                    # counted; each round may add up to one abandoned request per connection
                    committed = 0
                    for i, before in enumerate(start):
                        after = start[i + 1] if i + 1 < len(start) else end
                        committed += sum(r for _, r, _ in after) - sum(r for _, r, _ in before)
                    extra["revisions_committed"] = committed
                    extra.update(transitions=result["iris"]["ok"],
                                 transitions_per_s=result["iris"]["ok_per_s"])
            runs[name] = {**result["iris"], **extra, "cache_seconds": cache_seconds}
            bare[name] = result["bare"]

        scenario("roster", 1.0, "roster", hit_file, roster_hit_paths)
        scenario("roster_ttl0", 0.0, "roster", hit_file)
        scenario("roster_miss", 1.0, "roster", miss_file, lambda _server: roster_miss_paths())
        scenario("roster_entry_miss", 1.0, "roster", entry_file,
                 lambda _server: roster_entry_paths())
        scenario("roster_page", 1.0, "roster", page_file, lambda _server: roster_page_paths())
        scenario("roster_page_gzip", 1.0, "roster", page_file,
                 lambda _server: roster_page_paths())
        scenario("staff_lists", 1.0, "roster", None)
        scenario("transitions", 1.0, "transitions", None)
        scenario("grievances", 1.0, "grievances", None, server_env=GRIEVANCE_ENV)
        scenario("enrolments", 1.0, "enrolments", None, server_env=GRIEVANCE_ENV)
        scenario("returns", 1.0, "returns", None, server_env=GRIEVANCE_ENV)
    # every hash chain, after the scenarios that append to them
    writers = [n for n in ("transitions", "grievances", "enrolments", "returns") if n in runs]
    if writers:
        runs[writers[-1]]["audit_verify"] = audit_verify(db)
    return {"ratios": {k: v["ratio"] for k, v in runs.items()}, "runs": runs, "bare": bare}


# -- report --------------------------------------------------------------------------------
LABELS = {
    "roster": "roster, ~200 queries, cache 1 s",
    "roster_ttl0": "roster, ~200 queries, cache 0 s",
    "roster_miss": "roster, 6,000 queries (cache misses)",
    "roster_entry_miss": "roster entries by LRN, 6,000 (cache misses)",
    "roster_page": "roster search page (HTML), first page + 59 name searches",
    "roster_page_gzip": "the same pages as a browser asks (Accept-Encoding: gzip)",
    "staff_lists": "staff lists as a scheme manager: deep pages, filters, searches (HTML)",
    "transitions": "transitions/s (suspend/reinstate)",
    "grievances": "grievance filings/s (201s)",
    "enrolments": "public self-enrolments/s (202s)",
    "returns": "return transitions/s (record_nrm_status)",
}
TARGET_OF = {"roster": TARGETS["roster"], "roster_ttl0": None, "roster_miss": None,
             "roster_entry_miss": None,
             "roster_page": TARGETS["roster_page"],
             "roster_page_gzip": TARGETS["roster_page_gzip"], "staff_lists": None,
             "transitions": TARGETS["transitions"], "grievances": TARGETS["grievances"],
             "enrolments": None, "returns": None}


def markdown(result: dict[str, Any]) -> str:
    lines = ["| DB | scenario | req/s | bare req/s | ratio | ratio per round | target | "
             "p50 ms | p99 ms | non-2xx | peak RSS MB |",
             "|---|---|---:|---:|---:|---|---|---:|---:|---:|---:|"]
    for db, data in result["databases"].items():
        for name in IRIS_SCENARIOS:
            if name not in data["runs"]:
                continue
            run = data["runs"][name]
            rate = run.get("ok_per_s", run["requests_per_s"])
            target = TARGET_OF.get(name)
            verdict = ("" if target is None
                       else f">= {target}: {'met' if run['ratio'] >= target else 'MISSED'}")
            lo, hi = min(run["ratio_per_round"]), max(run["ratio_per_round"])
            lines.append(
                f"| {db} | {LABELS[name]} | {rate:,.0f} | {run['bare_reference_per_s']:,.0f} | "
                f"**{run['ratio']:.3f}** | {lo:.3f}-{hi:.3f} | {verdict} | {run['p50_ms']:.1f} | "
                f"{run['p99_ms']:.1f} | {run['non_2xx']} | {run['peak_rss_mb']:.0f} |")
        bare_runs = list(data["bare"].values())
        rates = [x for b in bare_runs for x in b["rate_per_run"]]
        lines.append(
            f"| {db} | bare handler ({len(rates)} runs) | {min(rates):,.0f}-{max(rates):,.0f} | "
            f"| 1 | | | {statistics.median(b['p50_ms'] for b in bare_runs):.1f} | "
            f"{statistics.median(b['p99_ms'] for b in bare_runs):.1f} | "
            f"{sum(b['non_2xx'] for b in bare_runs)} | "
            f"{max(b['peak_rss_mb'] for b in bare_runs):.0f} |")
    lines.append("")
    for db, data in result["databases"].items():
        verified = next((data["runs"][n]["audit_verify"]
                         for n in ("returns", "enrolments", "grievances", "transitions")
                         if "audit_verify" in data["runs"].get(n, {})), None)
        if "grievances" in data["runs"]:
            g = data["runs"]["grievances"]
            ch = g["check"]
            lines.append(
                f"- {db} grievances: {'check ok' if ch['ok'] else '**CHECK FAILED**'}: "
                f"{ch['counted_201']} 201s counted (warm-up included) of {ch['responses']} "
                f"responses, non-201 {ch['non_201']} (counters {g.get('counters', {})}); "
                f"grievance rows +{ch['rows_grown']['grievance']} (cases "
                f"+{ch['rows_grown']['grievance_cases']}, audit events "
                f"+{ch['rows_grown']['grievance_events']}, timers "
                f"+{ch['rows_grown']['grievance_timers']}, outbox "
                f"+{ch['rows_grown']['outbox_messages']}); {ch['abandoned_committed']} committed "
                f"after wrk abandoned them (allowed {ch['abandoned_allowed']}); server CPU "
                f"{g['server_cpu_ms_per_request']:.2f} ms per request"
                + "".join(f"; {x}" for x in ch["problems"]))
        if "enrolments" in data["runs"]:
            e = data["runs"]["enrolments"]
            ch = e["check"]
            lines.append(
                f"- {db} enrolments: {'check ok' if ch['ok'] else '**CHECK FAILED**'}: "
                f"{ch['counted_202']} 202s counted into {e['sessions']} open sessions; rows "
                f"grown {ch['rows_grown']}; server CPU "
                f"{e['server_cpu_ms_per_request']:.2f} ms per request"
                + "".join(f"; {x}" for x in ch["problems"]))
        if "returns" in data["runs"]:
            t = data["runs"]["returns"]
            ch = t["check"]
            lines.append(
                f"- {db} returns: {'check ok' if ch['ok'] else '**CHECK FAILED**'}: "
                f"{t['cases']} eligible cases; {ch['counted_200']} 200s counted (warm-up "
                f"included) of {ch['responses']} responses; record_nrm_status events "
                f"+{ch['events_grown']} ({ch['abandoned_committed']} committed after wrk "
                f"abandoned them); server CPU {t['server_cpu_ms_per_request']:.2f} ms per request"
                + "".join(f"; {x}" for x in ch["problems"]))
        if "transitions" not in data["runs"]:
            if verified:
                lines.append(f"- {db}: `iris audit verify`: "
                             f"{verified['output'] or verified['exit_code']}")
            continue
        t = data["runs"]["transitions"]
        c = t.get("counters", {})
        lines.append(
            f"- {db} transitions: {t['cases']} cases; {t['transitions']} counted 200s, "
            f"{t['revisions_committed']} revisions committed (the difference: requests wrk "
            f"abandoned at the end of a round); 409 {c.get('s409', 0)}, 422 {c.get('s422', 0)}, "
            f"other 4xx {c.get('s4xx', 0)}, 5xx {c.get('s5xx', 0)}, socket errors "
            f"{sum(t['socket_errors'].values())}; `iris audit verify`: "
            f"{verified['output'] or verified['exit_code'] if verified else 'not run'}")
    return "\n".join(lines)


def code_fingerprint() -> dict[str, Any]:
    """What was measured: a hash of the engine's code and workflows, and its newest file.
    (The harness never runs git: the tree may be mid-commit by someone else.)"""
    digest = hashlib.sha256()
    newest = (0.0, "")
    files = sorted([*ROOT.glob("iris_engine/**/*.py"), *ROOT.glob("workflows/**/*.yaml"),
                    ROOT / "pyproject.toml"])
    for f in files:
        digest.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
        newest = max(newest, (f.stat().st_mtime, str(f.relative_to(ROOT))))
    return {"sha256": digest.hexdigest()[:16], "files": len(files), "newest_file": newest[1],
            "newest_mtime": datetime.fromtimestamp(newest[0], UTC).isoformat(timespec="seconds")}


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "platform": platform.platform()}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError):
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()
        info["memory_gb"] = round(int(mem[1]) / 1024 / 1024, 1)
    return info


def tool_versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("litestar", "uvicorn", "uvloop", "httptools", "sqlalchemy", "sqlmodel",
                "aiosqlite", "asyncpg", "msgspec"):
        with contextlib.suppress(Exception):
            out[pkg] = version(pkg)
    with contextlib.suppress(Exception):
        version_line = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
        out["wrk"] = version_line.split("\n")[0]
    with contextlib.suppress(Exception):
        import sqlite3

        out["sqlite"] = sqlite3.sqlite_version
    return out


def seed_all(dbs: list[str], entries: int, recruiters: int) -> dict[str, Any]:
    """Seed every database at once (before anything is measured): separate processes."""
    procs = {}
    for db in dbs:
        log(f"seeding {db}: {entries} roster entries + {recruiters} workflow-walked recruiters")
        procs[db] = subprocess.Popen(
            [sys.executable, str(HERE / "seed.py"), "--db", db, "--entries", str(entries),
             "--recruiters", str(recruiters)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            # the bench's own IRIS_BENCH_* say where to seed (else a run with another
            # IRIS_BENCH_WORKDIR would seed the default databases and measure empty ones)
            env={k: v for k, v in os.environ.items()
                 if not k.startswith("IRIS_") or k.startswith("IRIS_BENCH_")})
    out = {}
    for db, proc in procs.items():
        # a million entries took 14-41 minutes here: allow ~3 ms an entry beyond ten minutes
        stdout, stderr = proc.communicate(timeout=600 + entries * 0.003)
        if proc.returncode != 0:
            raise RuntimeError(f"seeding {db} failed:\n{stderr[-4000:]}")
        out[db] = json.loads(stdout.strip().splitlines()[-1])
        log(f"seeded {db}: {out[db]['timings']}")
    return out


def main() -> None:
    import timers  # bench/timers.py (imported here: it imports this module)

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["http", "timers"], default="http",
                        help="http: roster and transitions through uvicorn (default); timers: "
                        "due timers swept per second by the ticker (bench/timers.py)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2,
                        help="seconds of warm-up per scenario")
    parser.add_argument("--rounds", type=int, default=5,
                        help="IRIS/bare alternations per scenario")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn worker processes per IRIS server (scale-out: measure 1, 2 "
                             "and 4; the bare reference stays one process)")
    parser.add_argument("--entries", type=int, default=100_000, help="roster entries to seed")
    parser.add_argument("--recruiters", type=int, default=320,
                        help="workflow-walked demo recruiters (~62%% end accredited)")
    parser.add_argument("--only", default="",
                        help="comma-separated HTTP scenarios to run (default: all of "
                        + ", ".join(IRIS_SCENARIOS) + "), e.g. --only grievances")
    parser.add_argument("--reuse-seed", action="store_true",
                        help="skip seeding (the databases were seeded by an earlier run)")
    timers.add_arguments(parser)
    args = parser.parse_args()
    if args.scenario == "timers":
        swept = timers.run(args)
        if not all(r["check"]["ok"] for d in swept["databases"].values() for r in d["runs"]):
            raise SystemExit("timers: correctness check failed (see the table)")
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = sorted(set(only) - set(IRIS_SCENARIOS))
    if unknown:
        parser.error(f"--only: unknown scenario(s) {', '.join(unknown)}; "
                     f"known: {', '.join(IRIS_SCENARIOS)}")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    load = Load(args.threads, args.connections, args.duration, args.warmup, args.workers)
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    t0 = time.monotonic()

    seeds = {} if args.reuse_seed else seed_all(dbs, args.entries, args.recruiters)
    result: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "code": code_fingerprint(),
        "versions": tool_versions(),
        "load": {"tool": "wrk", "threads": load.threads, "connections": load.connections,
                 "duration_s": load.duration, "warmup_s": load.warmup, "rounds": args.rounds,
                 "server": f"uvicorn --workers {load.workers} --log-level warning (uvloop, "
                           "httptools); the bare reference --workers 1"},
        "targets": TARGETS, "seed": seeds, "scenarios": only or IRIS_SCENARIOS,
        "databases": {},
    }
    for db in dbs:
        result["databases"][db] = bench_database(db, load, args.rounds, stamp, only)
    result["elapsed_s"] = round(time.monotonic() - t0, 1)
    code_after = code_fingerprint()
    if code_after["sha256"] != result["code"]["sha256"]:
        result["code_changed_during_run"] = code_after
        log(f"WARNING: iris_engine changed during the run ({code_after['newest_file']}); "
            "the figures may mix two versions of the code")
    out = RESULTS / f"{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    chunk = max(1, round(load.duration / args.rounds))
    print(f"\n{result['machine']['cpus']} CPUs; wrk -t{load.threads} -c{load.connections}; per "
          f"scenario {load.warmup:g} s warm-up, then {args.rounds} rounds of {chunk} s IRIS "
          f"between {max(1, round(chunk / 2))} s bare runs; elapsed {result['elapsed_s']} s; "
          f"code {result['code']['sha256']}; results: {out.relative_to(ROOT)}")
    failed = [f"{db} {name}: {p}" for db, data in result["databases"].items()
              for name in ("grievances", "returns") if name in data["runs"]
              for p in data["runs"][name]["check"]["problems"]]
    if failed:
        raise SystemExit("correctness check FAILED\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
