"""Sign-in steps under way: short-lived, single-use challenge tokens.

After a correct password on an account with a second factor, the client gets no
session yet but an *MFA token*: proof that the first factor passed, good for 5 minutes
and for one completed sign-in. The same store holds the other steps that span two
requests: an enrolment required by policy, and WebAuthn ceremonies (the challenge the
authenticator must sign).

Token text: ``ch1.<id>.<secret>``; only a SHA-256 digest of the secret is stored (the
secret is 256 random bits, so a fast hash suffices, as for refresh tokens), beside the
user, the kind of step and what the first factor was. Spending a challenge is a
conditional delete: of two requests racing with one token only one gets through
(threat: one password proof yielding two sessions, or a replayed WebAuthn response).
Expired challenges are refused at once and swept by the store's TTL.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from auth.system_tables import AUTH_CHALLENGES_TABLE, TTL_ATTRIBUTE, number
from storage import DocumentStore, Item
from storage.errors import ConditionalCheckFailedError

__all__ = ["Challenge", "ChallengeKind", "ChallengeStore"]

ChallengeKind = Literal[
    "mfa",  # a first factor passed; a second one completes the sign-in
    "enrol",  # a first factor passed; policy requires enrolling a second factor first
    "passkey_register",  # WebAuthn registration ceremony of a signed-in user
    "passkey_sign_in",  # WebAuthn authentication ceremony (passwordless or second factor)
]
_FORMAT = re.compile(r"ch1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")
_MAX_TEXT = 80


@dataclass(frozen=True, slots=True)
class Challenge:
    """One step under way."""

    challenge_id: str
    kind: ChallengeKind
    user_id: str | None
    digest: str = field(repr=False)
    expires: float
    amr: tuple[str, ...] = ()  # how the first factor was proven (RFC 8176 values)
    method: str = ""  # the first factor, as sign-in events name it
    data: Mapping[str, str] = field(default_factory=dict, repr=False)


class ChallengeStore:
    """Challenges in ``_baas_auth_challenges``."""

    def __init__(self, store: DocumentStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def issue(
        self,
        kind: ChallengeKind,
        *,
        user_id: str | None,
        lifetime: float,
        amr: tuple[str, ...] = (),
        method: str = "",
        data: Mapping[str, str] | None = None,
    ) -> tuple[str, Challenge]:
        """A new challenge; its token text (for the client) and what is stored."""
        challenge_id = secrets.token_urlsafe(16)
        secret = secrets.token_urlsafe(32)
        expires = self._clock() + lifetime
        challenge = Challenge(
            challenge_id,
            kind,
            user_id,
            _digest(secret),
            round(expires, 3),
            amr,
            method,
            dict(data or {}),
        )
        item: Item = {
            "challenge_id": challenge_id,
            "kind": kind,
            "digest": challenge.digest,
            "expires": number(expires),
            "amr": list(amr),
            "method": method,
            "data": dict(challenge.data),
            TTL_ATTRIBUTE: Decimal(int(expires) + 1),
        }
        if user_id is not None:
            item["user_id"] = user_id
        await self._store.put_item(AUTH_CHALLENGES_TABLE, item)
        return f"ch1.{challenge_id}.{secret}", challenge

    async def find(self, token: object, kinds: tuple[ChallengeKind, ...]) -> Challenge | None:
        """The live challenge of ``token`` if it is one of ``kinds``; None otherwise."""
        if not isinstance(token, str) or len(token) > _MAX_TEXT:
            return None
        match = _FORMAT.fullmatch(token)
        if match is None:
            return None
        challenge_id, secret = match.groups()
        item = await self._store.get_item(AUTH_CHALLENGES_TABLE, {"challenge_id": challenge_id})
        if item is None:
            return None
        challenge = _from_item(item)
        if (
            not hmac.compare_digest(challenge.digest, _digest(secret))
            or challenge.kind not in kinds
            or challenge.expires <= self._clock()
        ):
            return None
        return challenge

    async def spend(self, challenge: Challenge) -> bool:
        """Use the challenge up; False if another request spent it first."""
        try:
            await self._store.delete_item(
                AUTH_CHALLENGES_TABLE,
                {"challenge_id": challenge.challenge_id},
                condition="digest = :digest",
                values={":digest": challenge.digest},
            )
        except ConditionalCheckFailedError:
            return False
        return True


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _from_item(item: Item) -> Challenge:
    user_id = item.get("user_id")
    amr = item.get("amr")
    data = item.get("data")
    return Challenge(
        challenge_id=str(item["challenge_id"]),
        kind=str(item["kind"]),  # type: ignore[arg-type]
        user_id=user_id if isinstance(user_id, str) else None,
        digest=str(item["digest"]),
        expires=float(str(item["expires"])),
        amr=tuple(str(a) for a in amr) if isinstance(amr, list) else (),
        method=str(item.get("method", "")),
        data={str(k): str(v) for k, v in data.items()} if isinstance(data, Mapping) else {},
    )
