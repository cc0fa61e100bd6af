"""``iris_engine.failures``: a failure logged or kept on a row without the values a database
error quotes (PostgreSQL's DETAIL repeats the failing row), everything else as Python says it."""

from __future__ import annotations

import sqlite3
import traceback

import pytest
from asyncpg import exceptions
from sqlalchemy.exc import DBAPIError

from iris_engine.failures import said, traceback_of

WORDS = "Sita Gurung, sita@mail.example: they kept my passport"


def _raised(make: type[BaseException] | BaseException) -> BaseException:
    try:
        raise make
    except BaseException as error:
        return error


def _not_null_violation() -> BaseException:
    """As PostgreSQL answers an INSERT whose row breaks NOT NULL, through SQLAlchemy."""
    driver = exceptions.PostgresError.new({
        "S": "ERROR", "V": "ERROR", "C": "23502", "t": "outbox_message", "c": "topic",
        "M": 'null value in column "topic" of relation "outbox_message" violates not-null '
             "constraint",
        "D": f"Failing row contains (1, {WORDS}, null)."})
    try:
        try:
            raise driver
        except exceptions.PostgresError as error:
            raise DBAPIError.instance(
                "INSERT INTO outbox_message (payload, topic) VALUES ($1, $2)", (WORDS, None),
                error, Exception, hide_parameters=True) from error
    except DBAPIError as wrapped:
        return wrapped


def test_a_database_error_is_told_by_its_names_not_its_values() -> None:
    error = _not_null_violation()
    assert WORDS in str(error.__cause__)  # what PostgreSQL said, and Python would print
    logged = traceback_of(error)
    assert WORDS not in logged and "sita" not in logged.lower()
    assert "SQLSTATE 23502" in logged and "column topic" in logged and "table outbox_message" in logged
    assert "INSERT INTO outbox_message (payload, topic) VALUES ($1, $2)" in logged
    assert "The above exception was the direct cause" in logged
    assert "Traceback (most recent call last)" in logged and "_not_null_violation" in logged
    assert WORDS not in said(error) and WORDS not in said(error.__cause__)  # type: ignore[arg-type]


def test_a_driver_error_naming_nothing_is_not_quoted() -> None:
    error = exceptions.DataError(f"invalid input for query argument $1: '{WORDS}' (expected int)")
    assert WORDS not in said(error) and "DataError" in said(error)


def test_sqlites_messages_quote_no_value_and_are_kept() -> None:
    error = _raised(sqlite3.IntegrityError("NOT NULL constraint failed: outbox_message.topic"))
    assert said(error) == "IntegrityError: NOT NULL constraint failed: outbox_message.topic"


def test_any_other_failure_reads_as_python_prints_it() -> None:
    def inner() -> None:
        raise KeyError("the first")

    def outer() -> None:
        try:
            inner()
        except KeyError as error:
            raise RuntimeError("the second") from error

    def handled() -> None:
        try:
            outer()
        except RuntimeError:
            raise ValueError("the third")  # noqa: B904 - a context, not a cause

    with pytest.raises(ValueError) as caught:
        handled()
    error = caught.value
    assert traceback_of(error) == "".join(traceback.format_exception(error)).rstrip("\n")
    assert said(error) == "ValueError: the third"


def test_the_drivers_words_about_its_connection_are_kept() -> None:
    error = exceptions.InterfaceError("cannot perform operation: connection is closed")
    assert said(error) == "InterfaceError: cannot perform operation: connection is closed"
    through = _raised_from(error)  # the adapter's error, renamed: told as asyncpg's is
    adapted = through.__cause__
    assert adapted is not None
    assert said(adapted) == "InterfaceError: cannot perform operation: connection is closed"


def _raised_from(error: BaseException) -> BaseException:
    """``error`` as SQLAlchemy raises it: the adapter's class, then a DBAPIError."""
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi

    try:
        try:
            raise AsyncAdapt_asyncpg_dbapi.InterfaceError(str(error)) from error
        except Exception as adapted:
            raise DBAPIError.instance("SELECT 1", (), adapted, Exception) from adapted
    except DBAPIError as wrapped:
        return wrapped
