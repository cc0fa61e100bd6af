"""A read of several statements, each chosen from what the last one found, written once and run
wherever its statements can run fastest.

A *plan* is a generator: it yields ``(statement, values)`` and is sent the rows the statement
answered (a list of rows, by attribute and by index), then yields the next one, and returns
its answer. It does no I/O of its own, so the same plan runs

- on SQLite, whole in a worker thread, on a connection of its own (``DirectSqlite.run_plan``):
  one hand-off to the thread for the read, not one per statement;
- on PostgreSQL, on a connection of the driver's pool (``DirectPostgres.run_plan``);
- through SQLAlchemy, in a read transaction, where the driver cannot be used
  (``Database.read_plan`` chooses).

Its statements are built once (per shape of query, say) so that each is compiled once: a plan
that built a new statement per run would compile it per run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, TypeVar

from sqlalchemy.sql.base import Executable

__all__ = ["Plan", "Step", "run_plan", "run_plan_async"]

T = TypeVar("T")
#: a statement and the values it is run with, by name
Step = tuple[Executable, Mapping[str, Any]]
#: yields steps, is sent each step's rows, returns its answer
Plan = Generator[Step, list[Any], T]


def run_plan(plan: Plan[T], rows_of: Callable[[Executable, Mapping[str, Any]], list[Any]]) -> T:
    """Run ``plan`` to its answer, each step's rows read by ``rows_of``."""
    try:
        step = next(plan)
        while True:
            step = plan.send(rows_of(*step))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        plan.close()


async def run_plan_async(plan: Plan[T],
                         rows_of: Callable[[Executable, Mapping[str, Any]],
                                           Awaitable[list[Any]]]) -> T:
    """``run_plan`` with rows read by a coroutine."""
    try:
        step = next(plan)
        while True:
            step = plan.send(await rows_of(*step))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        plan.close()
