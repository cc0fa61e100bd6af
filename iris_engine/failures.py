"""A failure as a log line or a row keeps it: without what a database error quotes of the
values it was sent.

PostgreSQL's errors repeat values in their text: a NOT NULL or CHECK violation's DETAIL is the
whole failing row ("Failing row contains (...)"), a unique violation's the key, a bad input
the value itself; asyncpg repeats an argument it could not encode. Those values may be what a
person typed (a name, an e-mail address, a message). SQLAlchemy is told not to add the
parameters (``hide_parameters``, ``iris_engine.store.db``); here a database error is told by
its class, SQLSTATE and the names of the constraint, table and column it gives, never by its
text. SQLite's messages name the constraint or column and quote no value, and are kept; so is
every other error's.
"""

from __future__ import annotations

import sqlite3
import traceback

__all__ = ["said", "traceback_of"]

_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def said(error: BaseException) -> str:
    """``Type: message`` on one line, a database error's values left out."""
    return f"{type(error).__name__}: {_message(error)}"


def traceback_of(error: BaseException) -> str:
    """The traceback Python would print for ``error`` (its causes and contexts first), each
    exception's message as ``said`` gives it."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    found: BaseException | None = error
    link = ""
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        chain.append((found, link))
        if found.__cause__ is not None:
            found, link = found.__cause__, _CAUSE
        elif found.__context__ is not None and not found.__suppress_context__:
            found, link = found.__context__, _CONTEXT
        else:
            found = None
    parts: list[str] = []
    for index, (exc, _) in enumerate(reversed(chain)):
        if index:  # how this one led to the next, as Python words it
            parts.append(chain[len(chain) - index][1])
        if exc.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(exc.__traceback__))
        parts.append(f"{_qualified(type(exc))}: {_message(exc)}\n")
    return "".join(parts).rstrip("\n")


#: in place of a PostgreSQL driver's message
_NOT_KEPT = "(the database's message is not kept: it may quote a value)"


def _message(error: BaseException) -> str:
    module = type(error).__module__
    if module.startswith("asyncpg") and _quotes_values(error):
        return _named(error) or _NOT_KEPT
    if module.startswith("sqlalchemy.dialects"):  # a driver's error as SQLAlchemy's adapter
        cause = error.__cause__  # renames it: told as the driver's own is
        if cause is not None and (isinstance(cause, sqlite3.Error) or (
                type(cause).__module__.startswith("asyncpg") and not _quotes_values(cause))):
            return str(cause)
        return _named(error) or (_named(cause) if cause is not None else "") or _NOT_KEPT
    if module.startswith("sqlalchemy") and hasattr(error, "statement"):
        orig = getattr(error, "orig", None)
        statement = " ".join(str(getattr(error, "statement", "") or "").split())
        driver = (f"({_qualified(type(orig))}: {_message(orig)}) " if orig is not None
                  and orig is not error else "")
        return f"{driver}[SQL: {statement[:500]}]"
    return str(error)


def _quotes_values(error: BaseException) -> bool:
    """asyncpg's errors that may quote a value: the server's (its message, DETAIL and HINT)
    and an argument it could not encode (``DataError``); its other errors are about the
    connection ("connection is closed") and are kept."""
    from asyncpg import exceptions

    return isinstance(error, exceptions.PostgresError | exceptions.DataError)


def _named(error: BaseException) -> str:
    """What a PostgreSQL error names: its SQLSTATE, constraint, table, column (no value)."""
    fields = [("SQLSTATE", "sqlstate"), ("constraint", "constraint_name"),
              ("table", "table_name"), ("column", "column_name")]
    return ", ".join(f"{label} {value}" for label, attr in fields
                     if (value := getattr(error, attr, None)))


def _qualified(kind: type) -> str:
    """An exception's type as Python's traceback names it."""
    module = kind.__module__
    return kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
