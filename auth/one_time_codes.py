"""Single-use codes sent by email: email verification and password reset.

A code is 8 random digits (easy to type from a phone, ~26.6 bits), valid for
``lifetime`` seconds (10 minutes by default) and good for one use.

**Several live codes.** Each mail (a sign-up, a resend, a forgot-password) adds a code to
the (purpose, user) without voiding the earlier ones; the newest 5 are kept. Threat: a
stranger's sign-up with your address killing the code you are about to type. Using one
code voids every code of that purpose for that user.

**Guessing is bounded by a reservation.** Every check first *reserves* an attempt with
one conditional write (``attempts < 5``, atomically incremented) and only then compares
the presented code, so at most ``max_attempts`` comparisons are ever made against the
live codes of a (purpose, user), however many requests arrive at once and from however
many API processes (threat: a burst of guesses all compared before any is counted).
After the 5th the codes are burnt; a newly issued code starts a fresh count (issuing is
bounded by the mail budget, 5 per hour). 5 tries at 5 codes of 10^-8 each.

Only an HMAC of each code is stored, keyed by a per-code random salt and bound to the
purpose and user, so the table leaks no usable code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from auth.system_tables import CODES_TABLE, TTL_ATTRIBUTE, number
from storage import DocumentStore
from storage.errors import ConditionalCheckFailedError

__all__ = ["CodeMatch", "CodePurpose", "OneTimeCodes"]

CodePurpose = Literal["verify_email", "reset_password", "sign_in", "reauthenticate", "change_email"]
_DIGITS = 8
_LIVE_CODES = 5


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """A presented code that matched a live code (not used up yet: see ``consume``)."""

    purpose: CodePurpose
    user_id: str
    code_id: str
    digest: str


class OneTimeCodes:
    """Issues, checks and consumes codes stored in ``_baas_codes`` (one item per
    (purpose, user): its live codes by id, and the attempt count)."""

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
        """A fresh code for ``user_id``, beside the earlier live ones; attempts start over."""
        code = "".join(secrets.choice("0123456789") for _ in range(_DIGITS))
        code_id = secrets.token_hex(8)
        salt = secrets.token_hex(16)
        now = self._clock()
        expires = now + self._lifetime
        entry = {
            "digest": _digest(salt, purpose, user_id, code),
            "salt": salt,
            "expires": number(expires),
        }
        key = {"code_key": _key(purpose, user_id)}
        ttl = Decimal(int(expires) + 1)
        for _ in range(3):  # only loops when the item is consumed or created meanwhile
            current = await self._store.get_item(CODES_TABLE, key)
            if current is None:
                try:
                    await self._store.put_item(
                        CODES_TABLE,
                        {**key, "codes": {code_id: entry}, "attempts": 0, TTL_ATTRIBUTE: ttl},
                        condition="attribute_not_exists(code_key)",
                    )
                except ConditionalCheckFailedError:
                    continue
                return code
            stale = self._to_drop(current, now)
            names = {"#new": code_id} | {f"#d{i}": old for i, old in enumerate(stale)}
            update = "SET codes.#new = :entry, attempts = :zero, #ttl = :ttl"
            if stale:
                update += " REMOVE " + ", ".join(f"codes.#d{i}" for i in range(len(stale)))
            try:
                await self._store.update_item(
                    CODES_TABLE,
                    key,
                    update,
                    condition="attribute_exists(code_key)",
                    names={**names, "#ttl": TTL_ATTRIBUTE},
                    values={":entry": entry, ":zero": 0, ":ttl": ttl},
                )
            except ConditionalCheckFailedError:
                continue
            return code
        raise RuntimeError("could not store a one-time code")  # pragma: no cover - a storm

    async def check(self, purpose: CodePurpose, user_id: str, code: object) -> CodeMatch | None:
        """The live code ``code`` matches, or None; each call spends one attempt first."""
        if not isinstance(code, str) or not _well_formed(code.strip()):
            return None  # nothing compared, so nothing to count
        try:
            # The reservation: of any number of concurrent checks, at most max_attempts
            # pass this condition, and only they compare (threat: a burst of guesses).
            item = await self._store.update_item(
                CODES_TABLE,
                {"code_key": _key(purpose, user_id)},
                "ADD attempts :one",
                condition="attribute_exists(code_key) AND attempts < :max",
                values={":one": 1, ":max": self._max_attempts},
                return_values="ALL_NEW",
            )
        except ConditionalCheckFailedError:
            return None  # no live code, or its attempts are spent
        codes = item.get("codes") if item else None
        if not isinstance(codes, Mapping):
            return None
        now = self._clock()
        presented = code.strip()
        for code_id, entry in codes.items():
            if not isinstance(entry, Mapping) or _expires(entry) <= now:
                continue
            expected = str(entry["digest"])
            if hmac.compare_digest(
                expected, _digest(str(entry["salt"]), purpose, user_id, presented)
            ):
                return CodeMatch(purpose, user_id, str(code_id), expected)
        return None

    async def consume(self, match: CodeMatch) -> bool:
        """Use the matched code up, voiding every code of its purpose for that user.

        False if it was used (or replaced) meanwhile: of two racing uses only one wins.
        """
        try:
            await self._store.delete_item(
                CODES_TABLE,
                {"code_key": _key(match.purpose, match.user_id)},
                condition="codes.#id.digest = :d",
                names={"#id": match.code_id},
                values={":d": match.digest},
            )
        except ConditionalCheckFailedError:
            return False
        return True

    def _to_drop(self, item: Mapping[str, object], now: float) -> list[str]:
        """Codes to remove when adding one: expired ones, every one if the attempts are
        spent (a fresh count must not revive them), and the oldest beyond the newest 5."""
        codes = item.get("codes")
        if not isinstance(codes, Mapping):
            return []
        spent = _count(item.get("attempts")) >= self._max_attempts
        live = sorted(
            (
                (_expires(entry), str(code_id))
                for code_id, entry in codes.items()
                if isinstance(entry, Mapping)
            ),
            reverse=True,
        )
        keep = {code_id for at, code_id in live[: _LIVE_CODES - 1] if at > now and not spent}
        return [str(code_id) for code_id in codes if code_id not in keep]


def _well_formed(code: str) -> bool:
    return len(code) == _DIGITS and code.isascii() and code.isdigit()


def _expires(entry: Mapping[str, object]) -> float:
    return float(str(entry.get("expires", 0)))


def _count(value: object) -> int:
    return int(value) if isinstance(value, Decimal | int) else 0


def _key(purpose: CodePurpose, user_id: str) -> str:
    return f"{purpose}:{user_id}"


def _digest(salt: str, purpose: CodePurpose, user_id: str, code: str) -> str:
    message = f"{purpose}\x00{user_id}\x00{code}".encode()
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()
