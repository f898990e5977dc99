"""Single-use codes sent by email: email verification and password reset.

A code is 8 random digits (easy to type from a phone, ~26.6 bits), valid for
``lifetime`` seconds (10 minutes by default), good for one use, and for at most
``max_attempts`` wrong guesses: after that the code is burnt and a new one must be
requested (threat: guessing the code online; 5 tries at 10^-8 each).

Only an HMAC of the code is stored, keyed by a per-code random salt and bound to the
purpose and user, so the table leaks no usable code. One live code per (purpose,
user): requesting a new one replaces the old.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Literal

from auth.system_tables import CODES_TABLE, TTL_ATTRIBUTE
from storage import DocumentStore
from storage.errors import ConditionalCheckFailedError

__all__ = ["CodePurpose", "OneTimeCodes"]

CodePurpose = Literal["verify_email", "reset_password"]
_DIGITS = 8


class OneTimeCodes:
    """Issues and consumes codes stored in ``_baas_codes``."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        lifetime: float = 600.0,
        max_attempts: int = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._lifetime = lifetime
        self._max_attempts = max_attempts
        self._clock = clock

    async def issue(self, purpose: CodePurpose, user_id: str) -> str:
        """A fresh code for ``user_id``; the previous one (if any) stops working."""
        code = "".join(secrets.choice("0123456789") for _ in range(_DIGITS))
        salt = secrets.token_hex(16)
        await self._store.put_item(
            CODES_TABLE,
            {
                "code_key": _key(purpose, user_id),
                "salt": salt,
                "digest": _digest(salt, purpose, user_id, code),
                "attempts": Decimal(0),
                TTL_ATTRIBUTE: Decimal(int(self._clock() + self._lifetime) + 1),
            },
        )
        return code

    async def consume(self, purpose: CodePurpose, user_id: str, code: object) -> bool:
        """True (and the code is gone) if ``code`` is the live code; else False."""
        key = {"code_key": _key(purpose, user_id)}
        item = await self._store.get_item(CODES_TABLE, key)
        if item is None or not isinstance(code, str):
            return False
        if float(str(item[TTL_ATTRIBUTE])) <= self._clock():
            return False
        expected = str(item["digest"])
        presented = _digest(str(item["salt"]), purpose, user_id, code.strip())
        if hmac.compare_digest(expected, presented):
            try:
                # Conditional on the digest: of two racing uses, only one consumes it.
                await self._store.delete_item(
                    CODES_TABLE, key, condition="digest = :d", values={":d": expected}
                )
            except ConditionalCheckFailedError:
                return False
            return True
        await self._count_failure(key, expected)
        return False

    async def discard(self, purpose: CodePurpose, user_id: str) -> None:
        await self._store.delete_item(CODES_TABLE, {"code_key": _key(purpose, user_id)})

    async def _count_failure(self, key: dict[str, str], digest: str) -> None:
        try:
            # Burn the code on its last allowed failure (same digest: not a newer code).
            await self._store.delete_item(
                CODES_TABLE,
                key,
                condition="digest = :d AND attempts >= :last",
                values={":d": digest, ":last": self._max_attempts - 1},
            )
        except ConditionalCheckFailedError:
            try:
                await self._store.update_item(
                    CODES_TABLE,
                    key,
                    "ADD attempts :one",
                    condition="digest = :d",
                    values={":d": digest, ":one": 1},
                )
            except ConditionalCheckFailedError:
                return  # replaced or consumed meanwhile


def _key(purpose: CodePurpose, user_id: str) -> str:
    return f"{purpose}:{user_id}"


def _digest(salt: str, purpose: CodePurpose, user_id: str, code: str) -> str:
    message = f"{purpose}\x00{user_id}\x00{code}".encode()
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()
