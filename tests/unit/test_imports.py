"""Every package and top-level module imports on its own, first, in a fresh interpreter: an
import cycle between domains shows only when one side happens to be imported first (found by
`iris authorities add`, which imported referrals before grievances). Importing any module of
a package runs the package's ``__init__`` first, so packages and top-level modules cover it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "iris_engine"
FIRST = sorted(
    ["iris_engine." + p.parent.name for p in PACKAGE.glob("*/__init__.py")
     if p.parent.name != "migrations"]
    + ["iris_engine." + p.stem for p in PACKAGE.glob("*.py")
       if p.stem not in ("__init__", "asgi")]  # asgi builds the app from the environment
)


def test_every_package_imports_first() -> None:
    running = {m: subprocess.Popen([sys.executable, "-c", f"import {m}"], text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for m in FIRST}
    failed = {}
    for module, process in running.items():
        _, err = process.communicate(timeout=120)
        if process.returncode:
            failed[module] = err.strip().splitlines()[-1]
    assert len(FIRST) > 20
    assert failed == {}
