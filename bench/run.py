"""IRIS Engine benchmark: roster reads and accreditation transitions, as ratios to a bare
Litestar handler measured in the same run.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--duration 10] [--reuse-seed]

For each database: seed it (bench/seed.py; both databases in parallel, before any
measurement), then run each IRIS scenario on a fresh single uvicorn process on 127.0.0.1 after a
``--warmup`` second wrk pass, and bracket every scenario with runs of the bare handler
(bench/bare_app.py, GET /bare, one process for the section, runs of half the duration):

  bare          the reference, measured before the first scenario and after each one
  roster        GET /api/v1/roster, ~200 realistic queries in rotation, IRIS_ROSTER_CACHE_SECONDS=1
  roster_ttl0   the same with IRIS_ROSTER_CACHE_SECONDS=0 (roster version read on every request)
  roster_miss   6,000 distinct queries in rotation (more than the 2,048-page cache): the SQL path
  transitions   POST /api/v1/applications/{id}/transitions: suspend/reinstate cycles (200s count)

A scenario's ratio = its rate / the mean of the bare runs just before and just after it.
Writes bench/results/<timestamp>.json and prints a Markdown table. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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

import seed as seeding  # noqa: E402  (bench/seed.py)

MANAGER = ("manager@demo.iris.example", "demo-manager-2026")
TARGETS = {"roster": 0.5, "transitions": 0.10}
IRIS_SCENARIOS = ["roster", "roster_ttl0", "roster_miss", "transitions"]
ROSTER_CACHE_PAGES = 2048  # Roster(max_entries=...) default in iris_engine/roster/service.py


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- servers -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS in kB, from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


def machine_cpu() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine (all cores) so far, from /proc/stat.
    Busy excludes idle, iowait and steal; steal is time the hypervisor gave to someone else."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]] + [0] * 8
    tick = os.sysconf("SC_CLK_TCK")
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / tick, v[7] / tick


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (not its children), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
          app_dir: Path | None = None) -> Iterator[Server]:
    """One uvicorn process (``--workers 1`` runs in-process: the pid is the server)."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1", "--log-level", "warning"]
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


def iris_env(db: str, *, cache_seconds: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    env.update(IRIS_DATABASE_URL=seeding.database_url(db), IRIS_SECRET_KEY=seeding.BENCH_SECRET,
               IRIS_ROSTER_CACHE_SECONDS=str(cache_seconds))
    return env


# -- load generation -----------------------------------------------------------------------
@dataclass
class Load:
    threads: int
    connections: int
    duration: float
    warmup: float


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


def measure(load: Load, server: Server, scenario: str, path: str, env: dict[str, str],
            before_measure: Any = None) -> dict[str, Any]:
    if load.warmup > 0:
        wrk(load, scenario, server.url(path), env, load.warmup)
    if before_measure:
        env = {**env, **before_measure()}
    children = resource.RUSAGE_CHILDREN
    cpu0, (busy0, steal0) = cpu_seconds(server.pid), machine_cpu()
    kids0 = resource.getrusage(children)
    raw = wrk(load, scenario, server.url(path), env, load.duration)
    cpu1, (busy1, steal1) = cpu_seconds(server.pid), machine_cpu()
    kids1 = resource.getrusage(children)
    wrk_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    mem = proc_status(server.pid)
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    counters = raw.get("counters", {})
    errors = raw["errors"]
    result = {
        "requests": raw["requests"], "seconds": round(seconds, 3),
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": lat["p50"] / 1000, "p90_ms": lat["p90"] / 1000, "p99_ms": lat["p99"] / 1000,
        "mean_ms": round(lat["mean"] / 1000, 3), "max_ms": lat["max"] / 1000,
        "bytes_per_response": round(raw["bytes"] / max(1, raw["requests"])),
        "non_2xx": errors["status"],
        "socket_errors": {k: v for k, v in errors.items() if k != "status"},
        "peak_rss_mb": round(mem["VmHWM"] / 1024, 1), "rss_mb": round(mem["VmRSS"] / 1024, 1),
        "server_cpu_s": round(cpu1 - cpu0, 2),
        "wrk_cpu_s": round(wrk_cpu, 2),
        # everything else the machine did meanwhile: PostgreSQL, other people's jobs
        "other_cpu_s": round(max(0.0, (busy1 - busy0) - (cpu1 - cpu0) - wrk_cpu), 2),
        "steal_cpu_s": round(steal1 - steal0, 2),
        "loadavg_1min_after": float(Path("/proc/loadavg").read_text().split()[0]),
        "server_cpu_ms_per_request": round(1000 * (cpu1 - cpu0) / max(1, raw["requests"]), 3),
    }
    if counters:
        result["counters"] = counters
    if "ok" in counters:  # transitions: only 200s count
        result["transitions"] = counters["ok"]
        result["transitions_per_s"] = round(counters["ok"] / seconds, 1)
        result["non_2xx"] = raw["requests"] - counters["ok"]
    return result


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


def audit_verify(db: str) -> dict[str, Any]:
    """``iris audit verify`` on the database: every case's hash chain still intact?"""
    env = iris_env(db, cache_seconds=1.0)
    cmd = [sys.executable, "-c", "from iris_engine.cli import main; main()", "audit", "verify"]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return {"exit_code": out.returncode, "output": (out.stdout + out.stderr).strip()[-500:]}


# -- one database --------------------------------------------------------------------------
def bench_database(db: str, load: Load, stamp: str) -> dict[str, Any]:
    """Every IRIS scenario bracketed by runs of the bare handler (one bare process for the
    whole database section): a scenario's ratio divides by the mean of the bare runs just
    before and just after it, so slow drift on a shared machine cancels out."""
    runs: dict[str, Any] = {}
    bare_runs: list[dict[str, Any]] = []
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("IRIS_")}
    bare_load = Load(load.threads, load.connections, max(1.0, load.duration / 2),
                     min(load.warmup, 1.0))
    hit_file = WORK / f"{stamp}-{db}-roster-paths.txt"
    miss_file = WORK / f"{stamp}-{db}-roster-miss-paths.txt"
    cases_file = WORK / f"{stamp}-{db}-cases.txt"

    with serve("bare_app:app", base_env, "/bare", logs / f"{stamp}-{db}-bare.log",
               app_dir=HERE) as bare_server:

        def bare() -> None:
            log(f"{db}: bare handler #{len(bare_runs)}")
            bare_runs.append(measure(bare_load, bare_server, "bare", "/bare", {}))

        def iris(name: str, cache_seconds: float, fn: Any) -> None:
            log(f"{db}: {name}")
            with serve("iris_engine.asgi:app", iris_env(db, cache_seconds=cache_seconds),
                       "/api/v1/roster?limit=1", logs / f"{stamp}-{db}-{name}.log") as server:
                runs[name] = fn(server)
            runs[name]["cache_seconds"] = cache_seconds
            runs[name]["bare_runs"] = [len(bare_runs) - 1, len(bare_runs)]
            bare()

        def roster(server: Server) -> dict[str, Any]:
            paths = roster_hit_paths(server)
            hit_file.write_text("\n".join(paths) + "\n")
            return {**measure(load, server, "roster", "/api/v1/roster",
                              {"BENCH_PATHS": str(hit_file)}), "distinct_queries": len(paths)}

        def roster_ttl0(server: Server) -> dict[str, Any]:
            n = len(hit_file.read_text().split())
            return {**measure(load, server, "roster", "/api/v1/roster",
                              {"BENCH_PATHS": str(hit_file)}), "distinct_queries": n}

        def roster_miss(server: Server) -> dict[str, Any]:
            paths = roster_miss_paths()
            miss_file.write_text("\n".join(paths) + "\n")
            return {**measure(load, server, "roster", "/api/v1/roster",
                              {"BENCH_PATHS": str(miss_file)}), "distinct_queries": len(paths)}

        def transitions(server: Server) -> dict[str, Any]:
            token = http_json(server.url("/api/v1/auth/token"),
                              {"email": MANAGER[0], "password": MANAGER[1]})["access_token"]
            start = write_cases(db, cases_file)
            env = {"BENCH_TOKEN": token, "BENCH_CASES": str(cases_file)}

            def refresh() -> dict[str, str]:  # the warm-up moved revisions on: re-read them
                nonlocal start
                wait_idle(server.pid)
                start = write_cases(db, cases_file)
                return {}

            result = measure(load, server, "transitions", "/api/v1/applications", env,
                             before_measure=refresh)
            # cross-check: every counted 200 is a committed revision; requests wrk abandoned
            # at the end may still commit (at most one per connection)
            wait_idle(server.pid)
            end = write_cases(db, WORK / f"{stamp}-{db}-cases-after.txt")
            committed = sum(r for _, r, _ in end) - sum(r for _, r, _ in start)
            return {**result, "cases": len(start), "revisions_committed": committed,
                    "committed_minus_counted": committed - result["transitions"]}

        bare()
        iris("roster", 1.0, roster)
        iris("roster_ttl0", 0.0, roster_ttl0)
        iris("roster_miss", 1.0, roster_miss)
        iris("transitions", 1.0, transitions)
    runs["transitions"]["audit_verify"] = audit_verify(db)

    ratios, references = {}, {}
    for name in IRIS_SCENARIOS:
        before, after = runs[name]["bare_runs"]
        ref = (bare_runs[before]["requests_per_s"] + bare_runs[after]["requests_per_s"]) / 2
        rate = runs[name].get("transitions_per_s", runs[name]["requests_per_s"])
        references[name] = round(ref, 1)
        ratios[name] = round(rate / ref, 4)
    bare_rates = [b["requests_per_s"] for b in bare_runs]
    return {"ratios": ratios, "bare_reference_per_s": references,
            "bare_spread": round(max(bare_rates) / min(bare_rates) - 1, 3),
            "runs": runs, "bare_runs": bare_runs}


# -- report --------------------------------------------------------------------------------
LABELS = {
    "roster": "roster, ~200 queries, cache 1 s",
    "roster_ttl0": "roster, ~200 queries, cache 0 s",
    "roster_miss": "roster, 6,000 queries (cache misses)",
    "transitions": "transitions/s (suspend/reinstate)",
}
TARGET_OF = {"roster": TARGETS["roster"], "roster_ttl0": None, "roster_miss": None,
             "transitions": TARGETS["transitions"]}


def markdown(result: dict[str, Any]) -> str:
    lines = ["| DB | scenario | req/s | bare req/s (same run) | ratio | target | p50 ms | "
             "p99 ms | non-2xx | server peak RSS MB |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    for db, data in result["databases"].items():
        bare_peak = max(b["peak_rss_mb"] for b in data["bare_runs"])
        for name in IRIS_SCENARIOS:
            run = data["runs"][name]
            rate = run.get("transitions_per_s", run["requests_per_s"])
            ratio = data["ratios"][name]
            target = TARGET_OF.get(name)
            verdict = ("" if target is None
                       else f">= {target}: {'met' if ratio >= target else 'MISSED'}")
            lines.append(
                f"| {db} | {LABELS[name]} | {rate:,.0f} | "
                f"{data['bare_reference_per_s'][name]:,.0f} | "
                f"{ratio:.3f} | {verdict} | {run['p50_ms']:.1f} | {run['p99_ms']:.1f} | "
                f"{run['non_2xx']} | {run['peak_rss_mb']:.0f} |")
        b = data["bare_runs"]
        lines.append(
            f"| {db} | bare handler ({len(b)} runs) | {min(x['requests_per_s'] for x in b):,.0f}-"
            f"{max(x['requests_per_s'] for x in b):,.0f} | | 1 | | "
            f"{statistics.median(x['p50_ms'] for x in b):.1f} | "
            f"{statistics.median(x['p99_ms'] for x in b):.1f} | "
            f"{sum(x['non_2xx'] for x in b)} | {bare_peak:.0f} |")
    lines.append("")
    for db, data in result["databases"].items():
        t = data["runs"]["transitions"]
        c = t.get("counters", {})
        lines.append(
            f"- {db} transitions: {t['cases']} cases; {t['transitions']} counted 200s, "
            f"{t['revisions_committed']} revisions committed (difference = requests abandoned by "
            f"wrk at the end); 409 {c.get('s409', 0)}, 422 {c.get('s422', 0)}, "
            f"other 4xx {c.get('s4xx', 0)}, 5xx {c.get('s5xx', 0)}, socket errors "
            f"{sum(t['socket_errors'].values())}; `iris audit verify`: "
            f"{t['audit_verify']['output'] or t['audit_verify']['exit_code']}")
    return "\n".join(lines)


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
            env={k: v for k, v in os.environ.items() if not k.startswith("IRIS_")})
    out = {}
    for db, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"seeding {db} failed:\n{stderr[-4000:]}")
        out[db] = json.loads(stdout.strip().splitlines()[-1])
        log(f"seeded {db}: {out[db]['timings']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--entries", type=int, default=100_000, help="roster entries to seed")
    parser.add_argument("--recruiters", type=int, default=320,
                        help="workflow-walked demo recruiters (~62%% end accredited)")
    parser.add_argument("--reuse-seed", action="store_true",
                        help="skip seeding (the databases were seeded by an earlier run)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    load = Load(args.threads, args.connections, args.duration, args.warmup)
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    t0 = time.monotonic()

    seeds = {} if args.reuse_seed else seed_all(dbs, args.entries, args.recruiters)
    result: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": tool_versions(),
        "load": {"tool": "wrk", "threads": load.threads, "connections": load.connections,
                 "duration_s": load.duration, "warmup_s": load.warmup,
                 "server": "uvicorn --workers 1 --log-level warning (uvloop, httptools)"},
        "targets": TARGETS, "seed": seeds, "databases": {},
    }
    for db in dbs:
        result["databases"][db] = bench_database(db, load, stamp)
    result["elapsed_s"] = round(time.monotonic() - t0, 1)
    out = RESULTS / f"{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    print(f"\n{result['machine']['cpus']} CPUs; wrk -t{load.threads} -c{load.connections} "
          f"-d{load.duration:g}s (+{load.warmup:g}s warm-up); ratio = rate / mean of the bare runs "
          f"just before and after; elapsed {result['elapsed_s']} s; "
          f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
