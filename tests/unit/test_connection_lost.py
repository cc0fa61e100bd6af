"""``connection_lost``: which failures say the PostgreSQL connection went (the request is
answered 503, a COMMIT's outcome unknown) and which are the statement's or ours (a 500, logged
with its traceback): told apart by the driver's own error, raised alone or through SQLAlchemy."""

from __future__ import annotations

import sqlite3

import pytest
from asyncpg import exceptions
from sqlalchemy.exc import DBAPIError

from iris_engine.store.direct import connection_lost


def _server(severity: str, sqlstate: str, message: str) -> BaseException:
    return exceptions.PostgresError.new({"S": severity, "V": severity, "C": sqlstate,
                                         "M": message})


LOST = [
    _server("FATAL", "57P01", "terminating connection due to administrator command"),
    _server("FATAL", "08P01", "invalid frontend message type"),
    exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in "
                                   "progress"),
    exceptions.InterfaceError("cannot perform operation: connection is closed"),
    ConnectionResetError(104, "Connection reset by peer"),
    ConnectionRefusedError(111, "Connect call failed"),
]
NOT_LOST = [
    _server("ERROR", "23505", "duplicate key value violates unique constraint"),
    _server("ERROR", "40001", "could not serialize access"),
    exceptions.InterfaceError("cannot perform operation: another operation is in progress"),
    FileNotFoundError(2, "No such file or directory"),
    TimeoutError(),
    sqlite3.OperationalError("database is locked"),
    RuntimeError("the answer could not be built"),
]


def _through_sqlalchemy(error: BaseException) -> BaseException:
    wrapped = DBAPIError.instance("SELECT 1", (), error, Exception)
    wrapped.__cause__ = error
    return wrapped


@pytest.mark.parametrize("error", LOST, ids=lambda e: type(e).__name__)
def test_a_connection_that_went_is_told(error: BaseException) -> None:
    assert connection_lost(error)
    assert connection_lost(_through_sqlalchemy(error))


@pytest.mark.parametrize("error", NOT_LOST, ids=lambda e: type(e).__name__)
def test_a_statements_failure_or_ours_is_not(error: BaseException) -> None:
    assert not connection_lost(error)
    assert not connection_lost(_through_sqlalchemy(error))


def test_sqlalchemy_saying_it_invalidated_the_connection_is_enough() -> None:
    said = DBAPIError("SELECT 1", (), Exception("connection is closed"),
                      connection_invalidated=True)
    assert connection_lost(said) and connection_lost(RuntimeError("later")) is False
