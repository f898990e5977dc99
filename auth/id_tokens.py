"""OpenID Connect ID tokens: signed by the access tokens' keys, read back as logout hints.

An ID token (OpenID Connect Core §2) tells the client *who* signed in: ``iss``, ``sub``
(the user id), ``aud`` (the client id), ``exp``, ``iat``, ``auth_time`` (when the user
proved who they are), ``nonce`` (the client's, echoed: threat: a replayed token),
``amr`` (how: ``pwd``, ``otp``, ``mfa`` …), ``sid`` (the baas session, which logout
ends) and ``at_hash`` (binds the access token issued with it, §3.1.3.6).

It is signed with the key ring's active key (ES256, or Ed25519), whose public half is in
the JWKS, with header ``typ: JWT``: never ``at+jwt``, so an ID token is never accepted
as an access token (RFC 8725 §3.11, see :mod:`auth.tokens`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from auth.signing_keys import KeyRing, SigningAlgorithm

__all__ = ["IdTokenSigner", "at_hash"]

ID_TOKEN_TYPE = "JWT"  # noqa: S105 - a type name, not a secret
_MAX_HINT = 8 * 1024

# The hash of at_hash is the one of the signature (Core §3.1.3.6); for Ed25519 that is
# SHA-512 (RFC 8037 §3.1 signs with Ed25519's own SHA-512).
_HASHES: dict[SigningAlgorithm, Callable[[bytes], Any]] = {
    "ES256": hashlib.sha256,
    "Ed25519": hashlib.sha512,
}


def at_hash(access_token: str, alg: SigningAlgorithm) -> str:
    """The left half of the access token's hash, base64url without padding (Core §3.1.3.6)."""
    digest = _HASHES[alg](access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


class IdTokenSigner:
    """Signs ID tokens, and reads back the ones this provider signed (logout hints)."""

    def __init__(
        self,
        keyring: KeyRing,
        *,
        issuer: str,
        lifetime: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keyring = keyring
        self._issuer = issuer
        self._lifetime = lifetime
        self._clock = clock

    @property
    def algorithm(self) -> SigningAlgorithm:
        """The algorithm ID tokens are signed with now (for the discovery document)."""
        return self._keyring.active_key.alg

    def sign(
        self,
        *,
        subject: str,
        client_id: str,
        auth_time: float,
        access_token: str,
        nonce: str | None = None,
        amr: tuple[str, ...] = (),
        session_id: str | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> str:
        """A signed ID token for ``subject`` and the client ``client_id``."""
        key, private = self._keyring.signing_key()
        now = int(self._clock())
        claims: dict[str, object] = {
            "iss": self._issuer,
            "sub": subject,
            "aud": client_id,
            "azp": client_id,
            "exp": now + self._lifetime,
            "iat": now,
            "auth_time": int(auth_time),
            "at_hash": at_hash(access_token, key.alg),
            **(extra or {}),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if amr:
            claims["amr"] = list(amr)
        if session_id is not None:
            claims["sid"] = session_id
        header = {"alg": key.alg, "kid": key.kid, "typ": ID_TOKEN_TYPE}
        body = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
        return jws.serialize_compact(header, body, private, algorithms=[key.alg])

    def read_hint(self, token: object) -> dict[str, Any] | None:
        """The claims of an ID token this provider signed, expired or not (RP-Initiated
        Logout §2 accepts an expired hint); None for anything else."""
        if not isinstance(token, str) or len(token) > _MAX_HINT or token.count(".") != 2:
            return None
        try:
            header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
            kid = header.get("kid") if isinstance(header, dict) else None
            key = self._keyring.verification_key(kid) if isinstance(kid, str) else None
            # The key's own algorithm, never the header's (RFC 8725 §3.1).
            if key is None or header.get("typ") != ID_TOKEN_TYPE:
                return None
            verified = jws.deserialize_compact(token, key.key, algorithms=[key.alg])
            claims = json.loads(verified.payload)
        except (JoseError, ValueError, TypeError, RecursionError):
            return None
        if not isinstance(claims, dict) or claims.get("iss") != self._issuer:
            return None
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("aud"), str):
            return None
        return claims
