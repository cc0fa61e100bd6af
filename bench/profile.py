"""Profile one scenario with py-spy while wrk drives it (on an already seeded database).

    .venv/bin/python bench/profile.py --db sqlite --scenario roster --py-spy /tmp/pyspy/bin/py-spy

py-spy is not a project dependency: install it anywhere (``python -m venv /tmp/pyspy &&
/tmp/pyspy/bin/pip install py-spy``). Writes a speedscope/flamegraph file and, with
``--format raw``, collapsed stacks that ``--top`` summarises (own time and inclusive time per
function). Scenarios: roster, roster_ttl0, roster_miss, roster_entry_miss, transitions, grievances,
bare.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402


def summarise(collapsed: Path, top: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():  # a frame name py-spy broke over two lines
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    out = [f"{total} samples", "", "own time:"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    out += ["", "inclusive time:"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in incl.most_common(top)]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--scenario", default="roster",
                   choices=["roster", "roster_ttl0", "roster_miss", "roster_entry_miss",
                            "transitions", "grievances", "bare"])
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--py-spy", default="py-spy")
    p.add_argument("--format", default="raw", choices=["raw", "speedscope", "flamegraph"])
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--native", action="store_true", help="also sample native frames")
    args = p.parse_args()
    load = run.Load(2, 32, args.duration, 2)
    run.WORK.mkdir(parents=True, exist_ok=True)
    (run.WORK / "logs").mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    suffix = {"raw": "txt", "speedscope": "json", "flamegraph": "svg"}[args.format]
    out = args.out or run.WORK / f"profile-{args.db}-{args.scenario}-{stamp}.{suffix}"
    log_path = run.WORK / "logs" / f"profile-{stamp}.log"

    if args.scenario == "bare":
        ctx = run.serve("bare_app:app", dict(os.environ), "/bare", log_path, app_dir=HERE)
    else:
        ttl = 0.0 if args.scenario == "roster_ttl0" else 1.0
        extra = run.GRIEVANCE_ENV if args.scenario == "grievances" else None
        ctx = run.serve("iris_engine.asgi:app",
                        run.iris_env(args.db, cache_seconds=ttl, extra=extra),
                        "/api/v1/roster?limit=1", log_path)
    with ctx as server:
        env: dict[str, str] = {}
        path, script = "/api/v1/roster", "roster"
        if args.scenario in ("roster", "roster_ttl0"):
            f = run.WORK / "profile-paths.txt"
            f.write_text("\n".join(run.roster_hit_paths(server)) + "\n")
            env["BENCH_PATHS"] = str(f)
        elif args.scenario == "roster_miss":
            f = run.WORK / "profile-miss-paths.txt"
            f.write_text("\n".join(run.roster_miss_paths()) + "\n")
            env["BENCH_PATHS"] = str(f)
        elif args.scenario == "roster_entry_miss":
            f = run.WORK / "profile-entry-paths.txt"
            f.write_text("\n".join(run.roster_entry_paths()) + "\n")
            env["BENCH_PATHS"] = str(f)
        elif args.scenario == "transitions":
            login = {"email": run.MANAGER[0], "password": run.MANAGER[1]}
            token = run.http_json(server.url("/api/v1/auth/token"), login)["access_token"]
            f = run.WORK / "profile-cases.txt"
            run.write_cases(args.db, f)
            env.update(BENCH_TOKEN=token, BENCH_CASES=str(f))
            path, script = "/api/v1/applications", "transitions"
        elif args.scenario == "grievances":
            path, script = "/api/v1/grievances", "grievances"
        else:
            path, script = "/bare", "bare"
        run.wrk(load, script, server.url(path), env, 2)  # warm-up
        if args.scenario == "transitions":
            run.wait_idle(server.pid)
            run.write_cases(args.db, run.WORK / "profile-cases.txt")
        cmd = [args.py_spy, "record", "--pid", str(server.pid), "--duration",
               str(int(args.duration)), "--rate", "250", "--format", args.format, "-o", str(out),
               "--nonblocking"]
        if args.native:
            cmd.append("--native")
        spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        result = run.wrk(load, script, server.url(path), env, args.duration)
        spy.wait(timeout=args.duration + 60)
    keys = ("requests", "duration_us", "latency_us", "counters")
    print({k: result[k] for k in keys if k in result})
    print(f"profile: {out}")
    if args.format == "raw":
        print(summarise(out, args.top))


if __name__ == "__main__":
    main()
