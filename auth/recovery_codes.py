"""Recovery codes: ten single-use codes that stand in for the second factor.

Shown once, when they are made; stored as salted SHA-256 digests only. A fast hash is
enough because each code is 80 random bits (16 base32 characters, written
``xxxx-xxxx-xxxx-xxxx``): a leaked table cannot be searched for them at any hashing
speed, unlike a human-chosen password (compare :mod:`auth.refresh_tokens`). The salt,
one per set, keeps two users' identical digests apart.

Which code matched is found by comparing the presented code's digest with every
stored one (constant time each); using it removes it with a conditional write, so two
requests racing with the same code cannot both succeed (see :mod:`auth.mfa_store`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CODE_COUNT",
    "RecoveryCodes",
    "digest",
    "looks_like_recovery_code",
    "matching_code",
    "normalize",
]

CODE_COUNT = 10
_CODE_BYTES = 10  # 80 bits -> 16 base32 characters
_GROUP = 4


@dataclass(frozen=True, slots=True)
class RecoveryCodes:
    """A new set: the codes to show once, and what the store keeps."""

    codes: tuple[str, ...]
    salt: str
    digests: dict[str, str]  # code id -> digest

    @classmethod
    def generate(cls) -> RecoveryCodes:
        salt = secrets.token_hex(16)
        codes = tuple(_new_code() for _ in range(CODE_COUNT))
        digests = {f"c{index}": digest(salt, code) for index, code in enumerate(codes)}
        return cls(codes, salt, digests)


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_CODE_BYTES)).decode("ascii").lower()
    return "-".join(raw[i : i + _GROUP] for i in range(0, len(raw), _GROUP))


def normalize(code: str) -> str:
    """What is hashed: lower case, without dashes or spaces (typed either way)."""
    return code.strip().replace("-", "").replace(" ", "").lower()


def looks_like_recovery_code(code: object) -> bool:
    """Whether ``code`` has the shape of a recovery code (rather than a 6-digit TOTP)."""
    if not isinstance(code, str) or len(code) > 64:
        return False
    plain = normalize(code)
    return len(plain) == 16 and plain.isascii() and plain.isalnum()


def digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}\x00{normalize(code)}".encode()).hexdigest()


def matching_code(salt: str, digests: Mapping[str, str], code: str) -> tuple[str, str] | None:
    """The (id, digest) of the stored code ``code`` is, or None."""
    presented = digest(salt, code)
    found = None
    for code_id, stored in digests.items():
        if hmac.compare_digest(stored, presented):
            found = (code_id, stored)
    return found
