"""Passwords: argon2id hashing and rehash, timing equalisation, and the policy table."""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import extract_parameters

from auth.errors import WeakPasswordError
from auth.passwords import (
    PasswordHasher,
    PasswordHashingConfig,
    PasswordPolicy,
    is_common_password,
)

# argon2's minimum cost, so the suite stays fast; production uses the defaults.
FAST = PasswordHashingConfig(time_cost=1, memory_cost_kib=8, parallelism=1)
FAST_BUT_DIFFERENT = PasswordHashingConfig(time_cost=2, memory_cost_kib=8, parallelism=1)


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(FAST)


def test_hash_is_argon2id_and_verifies(hasher: PasswordHasher) -> None:
    stored = hasher.hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert hasher.verify_password(stored, "correct horse battery staple").valid


def test_same_password_hashes_differently(hasher: PasswordHasher) -> None:
    assert hasher.hash_password("s3cret-pass") != hasher.hash_password("s3cret-pass")


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param("correct horse battery staple ", id="trailing-space-not-trimmed"),
        pytest.param(" correct horse battery staple", id="leading-space-not-trimmed"),
        pytest.param("Correct horse battery staple", id="case-not-folded"),
        pytest.param("correct horse battery stapl", id="one-char-short"),
        pytest.param("", id="empty"),
    ],
)
def test_verification_is_byte_exact(hasher: PasswordHasher, attempt: str) -> None:
    stored = hasher.hash_password("correct horse battery staple")
    assert not hasher.verify_password(stored, attempt).valid


def test_unicode_is_not_normalised(hasher: PasswordHasher) -> None:
    composed = unicodedata.normalize("NFC", "café-crème-brûlée")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    stored = hasher.hash_password(composed)
    assert hasher.verify_password(stored, composed).valid
    assert not hasher.verify_password(stored, decomposed).valid


def test_changed_parameters_ask_for_a_rehash() -> None:
    stored = PasswordHasher(FAST).hash_password("s3cret-pass")
    upgraded = PasswordHasher(FAST_BUT_DIFFERENT)
    result = upgraded.verify_password(stored, "s3cret-pass")
    assert result.valid
    assert result.needs_rehash
    rehashed = upgraded.hash_password("s3cret-pass")
    assert not upgraded.verify_password(rehashed, "s3cret-pass").needs_rehash


def test_wrong_password_never_asks_for_a_rehash() -> None:
    stored = PasswordHasher(FAST).hash_password("s3cret-pass")
    result = PasswordHasher(FAST_BUT_DIFFERENT).verify_password(stored, "wrong-pass")
    assert (result.valid, result.needs_rehash) == (False, False)


def test_argon2i_hash_still_verifies_but_is_upgraded(hasher: PasswordHasher) -> None:
    import argon2

    legacy = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=argon2.Type.I)
    result = hasher.verify_password(legacy.hash("s3cret-pass"), "s3cret-pass")
    assert (result.valid, result.needs_rehash) == (True, True)


@pytest.mark.parametrize(
    "stored",
    ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$garbage", "$2b$12$" + "a" * 53],
)
def test_corrupt_stored_hash_is_invalid_not_an_exception(
    hasher: PasswordHasher, stored: str
) -> None:
    assert not hasher.verify_password(stored, "s3cret-pass").valid
    assert hasher.check_needs_rehash(stored)


def test_unencodable_password_is_refused(hasher: PasswordHasher) -> None:
    lone_surrogate = "pass\ud800word"
    with pytest.raises(WeakPasswordError) as raised:
        hasher.hash_password(lone_surrogate)
    assert raised.value.reason == "invalid"
    assert not hasher.verify_password(hasher.hash_password("password-x"), lone_surrogate).valid


def test_oversized_password_is_invalid_without_hashing_it(hasher: PasswordHasher) -> None:
    stored = hasher.hash_password("s3cret-pass")
    assert not hasher.verify_password(stored, "x" * 100_000).valid


def test_dummy_verification_does_the_work_of_a_real_one() -> None:
    # Threat: telling "no such account" from "wrong password" by response time. What an
    # argon2 verification costs is set by the parameters in the hash: the dummy hash has
    # exactly ours, and the dummy path runs one full verification of it. (Timing the two
    # here instead made a test that failed whenever the machine was busy.)
    hasher = PasswordHasher(PasswordHashingConfig(time_cost=2, memory_cost_kib=4096, parallelism=1))
    stored = hasher.hash_password("s3cret-pass")
    dummy_hash = hasher._dummy_hash
    assert extract_parameters(dummy_hash) == extract_parameters(stored)
    verified: list[str] = []
    argon2 = hasher._hasher

    class CountingArgon2:
        def verify(self, hash_: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash_))
            return argon2.verify(hash_, password)

    hasher._hasher = CountingArgon2()  # type: ignore[assignment]
    hasher.verify_dummy("wrong-pass")
    assert verified == [dummy_hash]


# --- policy ------------------------------------------------------------------------------

POLICY = PasswordPolicy()

POLICY_TABLE = [
    pytest.param("kx9#Lm2", "too_short", id="7-chars"),
    pytest.param("kx9#Lm2q", None, id="8-chars"),
    pytest.param("a" * 7 + "é", None, id="8-code-points-9-bytes"),
    pytest.param("🔒🔑🐉🌋🎲🧭🪐", "too_short", id="7-emoji-is-28-bytes-but-7-code-points"),
    pytest.param("🔒🔑🐉🌋🎲🧭🪐🦉", None, id="8-emoji"),
    pytest.param("e\u0301" * 4, None, id="combining-marks-count-as-code-points"),
    pytest.param("пароль-надёжный", None, id="cyrillic"),
    pytest.param("        ", None, id="eight-spaces-are-characters"),
    pytest.param("  padded words  ", None, id="surrounding-spaces-kept"),
    pytest.param("tab\tand\nnewline", None, id="control-whitespace"),
    pytest.param("w" * 64, None, id="64-chars-passphrase"),
    pytest.param("w" * 128, None, id="128-chars-max"),
    pytest.param("w" * 129, "too_long", id="129-chars"),
    pytest.param("password", "too_common", id="common"),
    pytest.param("PassWord", "too_common", id="common-any-case"),
    pytest.param("password123", "too_common", id="common-with-digits"),
    pytest.param("qwertyuiop", "too_common", id="keyboard-walk"),
    pytest.param("12345678", "too_common", id="digits"),
    pytest.param("pass\ud800word", "invalid", id="lone-surrogate"),
]


@pytest.mark.parametrize(("password", "reason"), POLICY_TABLE)
def test_policy(password: str, reason: str | None) -> None:
    if reason is None:
        POLICY.check(password)
    else:
        with pytest.raises(WeakPasswordError) as raised:
            POLICY.check(password)
        assert raised.value.reason == reason
        assert raised.value.code == "weak_password"


@pytest.mark.parametrize(
    "password", ["alice.smith@example.com", "alice.smith", "ALICE.SMITH", "Alice Smith"]
)
def test_policy_refuses_the_users_own_identifiers(password: str) -> None:
    with pytest.raises(WeakPasswordError) as raised:
        POLICY.check(password, user_inputs=["Alice.Smith@Example.com", "Alice Smith"])
    assert raised.value.reason == "too_similar"


def test_common_list_is_shipped_and_large() -> None:
    from auth.passwords import _common_passwords

    assert len(_common_passwords()) >= 10_000
    assert is_common_password("iloveyou")
    assert not is_common_password("correct horse battery staple 42")


def test_common_check_can_be_disabled() -> None:
    PasswordPolicy(refuse_common=False).check("password")


@pytest.mark.parametrize(
    ("min_length", "max_length"),
    [(0, 128), (8, 63), (65, 64), (8, 2000)],
)
def test_policy_bounds_are_validated(min_length: int, max_length: int) -> None:
    with pytest.raises(ValueError, match="length"):
        PasswordPolicy(min_length=min_length, max_length=max_length)
