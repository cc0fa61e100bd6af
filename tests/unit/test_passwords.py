"""Password hashing follows IRIS_PASSWORD_HASH_PROFILE, and a change of profile locks nobody out."""

from __future__ import annotations

from typing import Literal

import pytest
from argon2 import PasswordHasher, extract_parameters

from iris_engine.errors import ConfigurationError
from iris_engine.people import PASSWORD_HASH_PROFILES, People, password_hasher
from iris_engine.settings import Settings

PASSWORD = "correct horse battery"
#: the account roles do not matter to hashing
ROLES = ("recruiter",)


@pytest.mark.parametrize("profile", sorted(PASSWORD_HASH_PROFILES))
async def test_the_profile_sets_the_parameters_of_new_hashes(profile: str) -> None:
    made = await People(ROLES, password_hasher(profile)).hash_password(PASSWORD)
    assert extract_parameters(made) == PASSWORD_HASH_PROFILES[profile]


def test_the_default_profile_is_argon2_cffis_default() -> None:
    default = password_hasher(Settings.from_env({}).password_hash_profile)
    assert extract_parameters(default.hash(PASSWORD)) == extract_parameters(
        PasswordHasher().hash(PASSWORD))


@pytest.mark.parametrize(("before", "after"), [("rfc9106", "test"), ("test", "rfc9106")])
async def test_a_hash_made_under_one_profile_verifies_under_another(before: str, after: str) -> None:
    stored = await People(ROLES, password_hasher(before)).hash_password(PASSWORD)
    people = People(ROLES, password_hasher(after))
    assert people.password_matches(stored, PASSWORD)
    assert not people.password_matches(stored, "wrong horse battery")


class _RecordingHasher(PasswordHasher):
    """The test profile's hasher, remembering the hashes it verified against."""

    def __init__(self) -> None:
        p = PASSWORD_HASH_PROFILES["test"]
        super().__init__(time_cost=p.time_cost, memory_cost=p.memory_cost,
                         parallelism=p.parallelism, hash_len=p.hash_len, salt_len=p.salt_len,
                         type=p.type)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(str(hash))
        return super().verify(hash, password)


def test_an_unknown_user_costs_a_check_against_a_hash_of_the_configured_cost() -> None:
    hasher = _RecordingHasher()
    people = People(ROLES, hasher)
    # even the dummy's own password does not let an unknown user in
    assert not people.password_matches(None, "not a password")
    assert not people.password_matches(None, PASSWORD)
    first, second = hasher.verified
    assert first == second  # made once
    assert extract_parameters(first) == PASSWORD_HASH_PROFILES["test"]


def test_an_unknown_profile_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        password_hasher("fast")
    assert "IRIS_PASSWORD_HASH_PROFILE" in caught.value.detail
    assert all(name in caught.value.detail for name in PASSWORD_HASH_PROFILES)
