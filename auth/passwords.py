"""Password hashing (argon2id) and the password policy.

Hashing and verifying are CPU- and memory-heavy on purpose (tens of milliseconds, tens
of MiB): callers on an event loop should run them in a worker thread.

Passwords are compared byte-exact: no trimming, no case folding, no Unicode
normalisation beyond whatever the client already did. Their length is counted in
Unicode code points (NIST SP 800-63B §5.1.1.2), their bytes are UTF-8.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth.errors import WeakPasswordError

__all__ = [
    "PasswordHasher",
    "PasswordHashingConfig",
    "PasswordPolicy",
    "PasswordVerification",
    "is_common_password",
]

# A password longer than this (in UTF-8 bytes) is refused before hashing. It bounds the
# work an attacker can make us do per request; the policy's max_length is far below it,
# so every password the policy ever accepted still fits.
_MAX_PASSWORD_BYTES = 4096
_UTF8_MAX_BYTES = 4
_LONGEST_MAX_FLOOR = 64


@dataclass(frozen=True, slots=True)
class PasswordHashingConfig:
    """argon2id cost parameters.

    The defaults are RFC 9106 §4's "second recommended option" for memory-constrained
    environments, which is argon2-cffi's ``RFC_9106_LOW_MEMORY`` profile and its default:
    t=3 iterations, m=64 MiB, p=4 lanes, 16-byte salt, 32-byte tag. That is stronger than
    OWASP's Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1); choose the OWASP
    figures if 64 MiB per concurrent sign-in is too much for the host.
    """

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4
    hash_len: int = 32
    salt_len: int = 16


@dataclass(frozen=True, slots=True)
class PasswordVerification:
    """Outcome of :meth:`PasswordHasher.verify`.

    ``needs_rehash`` is only ever true for a valid password: hash it again with the
    current parameters and store the new hash.
    """

    valid: bool
    needs_rehash: bool = False


class PasswordHasher:
    """Hashes and verifies passwords with argon2id under one :class:`PasswordHashingConfig`."""

    def __init__(self, config: PasswordHashingConfig | None = None) -> None:
        self.config = config or PasswordHashingConfig()
        self._hasher = argon2.PasswordHasher(
            time_cost=self.config.time_cost,
            memory_cost=self.config.memory_cost_kib,
            parallelism=self.config.parallelism,
            hash_len=self.config.hash_len,
            salt_len=self.config.salt_len,
            type=argon2.Type.ID,
        )

    def hash_password(self, password: str) -> str:
        """Return the PHC-format argon2id hash (``$argon2id$v=19$m=…``) of ``password``.

        Raises ``WeakPasswordError("invalid")`` if it cannot be encoded as UTF-8 (a lone
        surrogate) or is absurdly long; apply :class:`PasswordPolicy` before this.
        """
        secret = _encode(password)
        if secret is None:
            raise WeakPasswordError("invalid")
        return self._hasher.hash(secret)

    def verify_password(self, stored_hash: str, password: str) -> PasswordVerification:
        """Check ``password`` against ``stored_hash`` in constant time for the hash.

        Never raises for a wrong password, an unencodable one, or a corrupt stored hash:
        all of them are simply invalid (fail closed).
        """
        secret = _encode(password)
        if secret is None:
            self.verify_dummy(password)
            return PasswordVerification(valid=False)
        try:
            self._hasher.verify(stored_hash, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return PasswordVerification(valid=False)
        return PasswordVerification(valid=True, needs_rehash=self.check_needs_rehash(stored_hash))

    def check_needs_rehash(self, stored_hash: str) -> bool:
        """Whether ``stored_hash`` was made with other parameters (or type) than ours."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def verify_dummy(self, password: str) -> None:
        """Spend the same time as a real verification, against a hash of no account.

        Call it when the account does not exist (or is disabled), so that a sign-in for an
        unknown email takes as long as one for a known email with a wrong password.
        Threat: user enumeration by response timing (OWASP Authentication Cheat Sheet).
        """
        secret = _encode(password) or b""
        with contextlib.suppress(VerificationError):
            self._hasher.verify(self._dummy_hash, secret)

    @functools.cached_property
    def _dummy_hash(self) -> str:
        # Same parameters as real hashes, so verifying it costs the same.
        return self._hasher.hash(b"baas dummy password for timing equalisation")


def _encode(password: str) -> bytes | None:
    try:
        secret = password.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if len(secret) > _MAX_PASSWORD_BYTES:
        return None
    return secret


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """Rules a new password must satisfy (NIST SP 800-63B §5.1.1.2).

    No composition rules (digits, symbols…) and no forced expiry, as NIST advises;
    instead a minimum length, a generous maximum, and a block list of common passwords.
    """

    min_length: int = 8
    max_length: int = 128
    refuse_common: bool = True

    def __post_init__(self) -> None:
        if self.min_length < 1:
            raise ValueError("min_length must be at least 1")
        if self.max_length < _LONGEST_MAX_FLOOR:
            # NIST: verifiers SHOULD permit at least 64 characters, for passphrases.
            raise ValueError(f"max_length must be at least {_LONGEST_MAX_FLOOR}")
        if self.min_length > self.max_length:
            raise ValueError("min_length must not exceed max_length")
        if self.max_length * _UTF8_MAX_BYTES > _MAX_PASSWORD_BYTES:
            # Every accepted password must stay verifiable by PasswordHasher.
            raise ValueError(f"max_length must be at most {_MAX_PASSWORD_BYTES // 4}")

    def check(self, password: str, *, user_inputs: Iterable[str] = ()) -> None:
        """Raise :class:`WeakPasswordError` if ``password`` breaks the policy.

        ``user_inputs`` are values the password must not equal (ignoring case): the
        account's email, its local part, a display name.
        """
        try:
            password.encode("utf-8")
        except UnicodeEncodeError:
            raise WeakPasswordError("invalid") from None
        length = len(password)  # code points, not bytes and not grapheme clusters
        if length < self.min_length:
            raise WeakPasswordError("too_short")
        if length > self.max_length:
            raise WeakPasswordError("too_long")
        if self.refuse_common and is_common_password(password):
            raise WeakPasswordError("too_common")
        if _resembles(password, user_inputs):
            raise WeakPasswordError("too_similar")


def _resembles(password: str, user_inputs: Iterable[str]) -> bool:
    lowered = password.lower()
    for value in user_inputs:
        candidates = {value.lower(), value.partition("@")[0].lower()}
        if lowered in candidates - {""}:
            return True
    return False


def is_common_password(password: str) -> bool:
    """Whether ``password`` (ignoring case) is on the shipped list of common passwords."""
    return password.lower() in _common_passwords()


@functools.cache
def _common_passwords() -> frozenset[str]:
    source = resources.files("auth").joinpath("data/common_passwords.txt.gz")
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())
