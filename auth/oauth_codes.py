"""Authorization codes (RFC 6749 §4.1) and remembered consents of the OpenID provider.

**Codes.** Text ``oc1.<id>.<secret>``; only a SHA-256 digest of the secret is stored
(256 random bits: a fast hash suffices), beside everything the token request must match:
the client, the exact redirect URI, the PKCE challenge (RFC 7636), the nonce, the user
and how they signed in. A code lives ``lifetime`` seconds (60 by default; RFC 6749
§4.1.2 says at most 10 minutes) and is exchanged once: the exchange is a conditional
write recording the session it started, so of two racing exchanges one wins, and a
code that comes back later finds that session and has it revoked (RFC 6749 §4.1.2:
"the authorization server SHOULD revoke all tokens previously issued based on that
code"; threat: a code leaked through a log or a referrer, used after its owner). The
item outlives the code by ten minutes for that reason, then the store's TTL drops it.

**Consents.** The scopes a user granted a client (``<user_id>|<client_id>``); a later
request for no more than those skips the consent screen.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from auth.system_tables import OAUTH_CODES_TABLE, OAUTH_CONSENTS_TABLE, TTL_ATTRIBUTE, number
from storage import DocumentStore, Item
from storage.errors import ConditionalCheckFailedError

__all__ = ["AuthorizationCode", "AuthorizationCodes", "Consents"]

_FORMAT = re.compile(r"oc1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")
_KEPT_AFTER_EXPIRY = 600.0  # seconds a used or expired code is remembered (reuse detection)


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """What a code was issued for."""

    code_id: str
    client_id: str
    redirect_uri: str
    user_id: str
    scope: str
    code_challenge: str
    auth_time: float
    expires: float
    nonce: str | None = None
    amr: tuple[str, ...] = ()
    session_id: str | None = None  # the baas session the user signed in with (sid)
    family_id: str | None = field(default=None, repr=False)  # set once exchanged


class AuthorizationCodes:
    """Codes in ``_baas_oauth_codes``."""

    def __init__(
        self, store: DocumentStore, *, lifetime: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._lifetime = lifetime
        self._clock = clock

    async def issue(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        user_id: str,
        scope: str,
        code_challenge: str,
        auth_time: float,
        nonce: str | None,
        amr: tuple[str, ...],
        session_id: str | None,
    ) -> str:
        """A new code's text (for the redirect to the client)."""
        code_id, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        expires = self._clock() + self._lifetime
        item: Item = {
            "code_id": code_id,
            "digest": _digest(secret),
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "user_id": user_id,
            "scope": scope,
            "code_challenge": code_challenge,
            "auth_time": number(auth_time),
            "expires": number(expires),
            "amr": list(amr),
            TTL_ATTRIBUTE: Decimal(int(expires + _KEPT_AFTER_EXPIRY) + 1),
        }
        if nonce is not None:
            item["nonce"] = nonce
        if session_id is not None:
            item["session_id"] = session_id
        await self._store.put_item(OAUTH_CODES_TABLE, item)
        return f"oc1.{code_id}.{secret}"

    async def find(self, text: object) -> AuthorizationCode | None:
        """The code of ``text`` (used or expired included: the caller decides), or None
        when it is malformed, unknown or its secret is wrong."""
        match = _FORMAT.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            return None
        code_id, secret = match.groups()
        item = await self._store.get_item(OAUTH_CODES_TABLE, {"code_id": code_id})
        if item is None or not hmac.compare_digest(str(item.get("digest", "")), _digest(secret)):
            return None
        return _from_item(item)

    def expired(self, code: AuthorizationCode) -> bool:
        return self._clock() >= code.expires

    async def claim(self, code: AuthorizationCode, family_id: str) -> bool:
        """Mark the code exchanged for the session ``family_id``; False if it already was."""
        try:
            await self._store.update_item(
                OAUTH_CODES_TABLE,
                {"code_id": code.code_id},
                "SET #family = :family",
                condition="attribute_exists(code_id) AND attribute_not_exists(#family)",
                names={"#family": "family_id"},
                values={":family": family_id},
            )
        except ConditionalCheckFailedError:
            return False
        return True


class Consents:
    """Remembered consents in ``_baas_oauth_consents``."""

    def __init__(self, store: DocumentStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def granted(self, user_id: str, client_id: str) -> frozenset[str]:
        """The scopes the user has granted the client so far."""
        item = await self._store.get_item(
            OAUTH_CONSENTS_TABLE, {"consent_id": f"{user_id}|{client_id}"}
        )
        scopes = None if item is None else item.get("scopes")
        return frozenset(str(s) for s in scopes) if isinstance(scopes, list) else frozenset()

    async def grant(self, user_id: str, client_id: str, scopes: frozenset[str]) -> None:
        """Remember that the user granted ``scopes`` (added to earlier ones)."""
        merged = await self.granted(user_id, client_id) | scopes
        await self._store.put_item(
            OAUTH_CONSENTS_TABLE,
            {
                "consent_id": f"{user_id}|{client_id}",
                "user_id": user_id,
                "client_id": client_id,
                "scopes": sorted(merged),
                "granted_at": number(self._clock()),
            },
        )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _from_item(item: Item) -> AuthorizationCode:
    def text(name: str) -> str | None:
        value = item.get(name)
        return value if isinstance(value, str) else None

    amr = item.get("amr")
    return AuthorizationCode(
        code_id=str(item["code_id"]),
        client_id=str(item["client_id"]),
        redirect_uri=str(item["redirect_uri"]),
        user_id=str(item["user_id"]),
        scope=str(item["scope"]),
        code_challenge=str(item["code_challenge"]),
        auth_time=float(str(item["auth_time"])),
        expires=float(str(item["expires"])),
        nonce=text("nonce"),
        amr=tuple(str(a) for a in amr) if isinstance(amr, list) else (),
        session_id=text("session_id"),
        family_id=text("family_id"),
    )
