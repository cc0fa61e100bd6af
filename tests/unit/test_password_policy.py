"""New passwords: long enough, not common, not guessable, not built on the account."""

from __future__ import annotations

import pytest

from iris_engine.people.password_policy import MAX_PASSWORD_LENGTH, password_problem


@pytest.mark.parametrize("password", [
    "correct horse battery", "Tr0ub4dor&3 is not enough alone", "lantern quietly oxbow 42",
    "Zq8#mL2!vR5$", "ü" * 3 + " Käsebrot mit Senf",
])
def test_good_passwords_pass(password: str) -> None:
    assert password_problem(password) is None


@pytest.mark.parametrize("password", [
    "qwertyuiop", "QWERTYUIOP", "1234567890", "password123", "1q2w3e4r5t", "q1w2e3r4t5y6",
])
def test_the_most_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    assert "most common" in (password_problem(password) or "")


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "abcdefghijkl", "Password123!",
                                      "zxcvbnmasdf", "01011990abc"])
def test_guessable_passwords_are_refused(password: str) -> None:
    problem = password_problem(password) or ""
    assert "too easy to guess" in problem or "most common" in problem, problem


def test_a_password_built_on_the_account_is_refused() -> None:
    context = ("rahul.sharma@himalaya-manpower.example", "Rahul Sharma", "Himalaya Manpower")
    for built_on in ("himalayamanpower", "himalaya-manpower", "rahulsharma2026",
                     "Himalaya Manpower"):
        assert password_problem(built_on, context=context) is not None, built_on
    assert password_problem("lantern quietly oxbow 42", context=context) is None


def test_lengths() -> None:
    assert "at least 10" in (password_problem("Zq8#mL2!v") or "")
    assert "at most" in (password_problem("Zq8#mL2!vR5$" * 20) or "")
    # a long passphrase is estimated on its first 72 characters (zxcvbn refuses more)
    assert password_problem("lantern quietly oxbow " * 5 + "x" * (MAX_PASSWORD_LENGTH - 115)) is None
