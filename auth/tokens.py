"""Access tokens: short-lived JWTs signed with the :class:`~auth.signing_keys.KeyRing`.

The format follows RFC 9068 (JWT profile for OAuth 2.0 access tokens): header
``typ: at+jwt``; claims ``iss``, ``aud``, ``sub``, ``exp``, ``iat``, ``nbf``, ``jti``,
plus ``token_use: "access"`` (as Cognito does), ``groups`` and, for a token issued to a
session (sign-in, refresh), ``sid``: the session's public id, as OpenID Connect's
``sid`` claim names a session, so that ending the session can refuse its tokens.
A session's tokens also say how it was signed in: ``amr`` (RFC 8176 authentication
method references, e.g. ``["pwd", "otp", "mfa"]``) and ``aal`` (``"aal1"``, or
``"aal2"`` when two factors were proven, as NIST SP 800-63B's assurance levels).

Verification follows RFC 8725 (JWT BCP): the algorithm is the one pinned to the key named
by ``kid`` (never the header's choice, §3.1), the token type is checked (§3.11), and every
claim is validated (§3.8-3.10). Whatever the input, :meth:`TokenVerifier.verify` returns
claims or raises :class:`~auth.errors.InvalidTokenError`, nothing else.
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jws import JWSRegistry

from auth.errors import InvalidTokenError
from auth.signing_keys import KeyRing

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "AccessTokenClaims",
    "IssuedAccessToken",
    "RevocationCheck",
    "TokenConfig",
    "TokenIssuer",
    "TokenVerifier",
    "aal_of",
]

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - RFC 9068 §2.1 type name, not a secret
_ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt"})  # RFC 9068 §4, case-insensitive
# Threat: header-borne keys or key URLs (jwk, jku, x5u, x5c) and crit extensions such as
# b64=false (RFC 7797). We need exactly these three, so anything else is refused.
_ALLOWED_HEADER = frozenset({"alg", "kid", "typ"})
_REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "nbf", "jti", "token_use", "groups")
_TOKEN_USE = "access"  # noqa: S105 - a claim value, not a secret
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")

_SESSION_ID = re.compile(r"[0-9a-f]{32}")

_AMR_VALUE = re.compile(r"[a-z]{2,16}")
_MAX_AMR = 8

RevocationCheck = Callable[["AccessTokenClaims"], bool]
"""``claims -> revoked?`` (see :class:`auth.revocation.RevocationList`); sync, no I/O."""


@dataclass(frozen=True, slots=True)
class TokenConfig:
    """Access-token settings; times in seconds."""

    issuer: str
    audience: str
    access_token_lifetime: int = 15 * 60
    clock_leeway: int = 30  # RFC 7519 §4.1.4: "a few minutes" at most; kept small
    max_token_bytes: int = 8 * 1024  # threat: resource exhaustion on parsing

    @property
    def key_retention(self) -> int:
        """How long a retired key must keep verifying: its last token's life plus leeway."""
        return self.access_token_lifetime + self.clock_leeway


@dataclass(frozen=True, slots=True)
class AccessTokenClaims:
    """The validated content of an access token."""

    subject: str
    groups: tuple[str, ...]
    issuer: str
    audience: str
    issued_at: int
    not_before: int
    expires_at: int
    token_id: str
    key_id: str
    client_id: str | None = None
    session_id: str | None = None
    amr: tuple[str, ...] = ()
    aal: str | None = None
    scope: str | None = None  # RFC 9068 §2.2.3: what an OAuth client's token may do


def aal_of(amr: Iterable[str]) -> str:
    """The assurance level of a sign-in that used ``amr``: two factors make ``aal2``."""
    return "aal2" if "mfa" in amr else "aal1"


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    """A freshly signed token and what it says."""

    token: str
    claims: AccessTokenClaims

    @property
    def expires_in(self) -> int:
        """Seconds of validity, for the ``expires_in`` of a token response (RFC 6749 §5.1)."""
        return self.claims.expires_at - self.claims.issued_at


class TokenIssuer:
    """Signs access tokens with the key ring's active key."""

    def __init__(
        self, keyring: KeyRing, config: TokenConfig, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._keyring = keyring
        self._config = config
        self._clock = clock

    def issue_access_token(
        self,
        subject: str,
        groups: Iterable[str] = (),
        *,
        client_id: str | None = None,
        lifetime: int | None = None,
        session_id: str | None = None,
        amr: Iterable[str] | None = None,
        scope: str | None = None,
    ) -> IssuedAccessToken:
        """Sign an access token for ``subject`` (the user id, never the email), of the
        session ``session_id`` when it belongs to one, signed in with ``amr``; an OAuth
        client's token says its ``scope``."""
        if not subject:
            raise ValueError("subject must be a non-empty string")
        if isinstance(groups, str):
            raise TypeError("groups must be a collection of names, not one string")
        key, private = self._keyring.signing_key()
        now = int(self._clock())
        expires_at = now + (
            lifetime if lifetime is not None else self._config.access_token_lifetime
        )
        claims = AccessTokenClaims(
            subject=subject,
            groups=tuple(groups),
            issuer=self._config.issuer,
            audience=self._config.audience,
            issued_at=now,
            not_before=now,
            expires_at=expires_at,
            token_id=secrets.token_urlsafe(16),
            key_id=key.kid,
            client_id=client_id,
            session_id=session_id,
            amr=() if amr is None else tuple(amr),
            aal=None if amr is None else aal_of(amr),
            scope=scope,
        )
        payload: dict[str, Any] = {
            "iss": claims.issuer,
            "aud": claims.audience,
            "sub": claims.subject,
            "exp": claims.expires_at,
            "iat": claims.issued_at,
            "nbf": claims.not_before,
            "jti": claims.token_id,
            "token_use": _TOKEN_USE,
            "groups": list(claims.groups),
        }
        if client_id is not None:
            payload["client_id"] = client_id
        if session_id is not None:
            payload["sid"] = session_id
        if claims.aal is not None:
            payload["amr"] = list(claims.amr)
            payload["aal"] = claims.aal
        if scope is not None:
            payload["scope"] = scope
        header = {"alg": key.alg, "kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        token = jws.serialize_compact(header, body, private, algorithms=[key.alg])
        return IssuedAccessToken(token=token, claims=claims)


class TokenVerifier:
    """Checks access tokens against the key ring and the configured issuer and audience.

    ``is_revoked`` implements revocation (sign-out of a session or everywhere, a
    disabled user …): a token it calls revoked is rejected. It is called on every
    verification and its errors propagate (a store outage is not an invalid token), so
    it must answer from memory.
    """

    def __init__(
        self,
        keyring: KeyRing,
        config: TokenConfig,
        *,
        clock: Callable[[], float] = time.time,
        is_revoked: RevocationCheck | None = None,
        cache_size: int = 0,
    ) -> None:
        self._keyring = keyring
        self._config = config
        self._clock = clock
        self._is_revoked = is_revoked
        # Verified tokens, by their exact text: a client sends the same token on every
        # request for its whole life, and checking the signature again proves nothing
        # new. A hit still re-checks expiry, the key's retirement and revocation.
        self._cache_size = cache_size
        self._verified: dict[str, AccessTokenClaims] = {}

    def verify(self, token: object) -> AccessTokenClaims:
        """Return the claims of a valid token; raise ``InvalidTokenError`` otherwise."""
        claims = self._cached(token)
        if claims is None:
            try:
                claims = self._verify(token)
            except InvalidTokenError:
                raise
            except (JoseError, ValueError, TypeError, RecursionError, OverflowError) as exc:
                # ValueError covers bad base64 (binascii.Error), bad JSON and bad UTF-8;
                # RecursionError a deeply nested JSON header; OverflowError a huge number.
                raise InvalidTokenError() from exc
            self._remember(token, claims)
        if self._is_revoked is not None and self._is_revoked(claims):
            raise InvalidTokenError()
        return claims

    def _cached(self, token: object) -> AccessTokenClaims | None:
        if not self._cache_size or not isinstance(token, str):
            return None
        claims = self._verified.get(token)
        if claims is None:
            return None
        # Only what can change with time: nbf and iat were fine then, so they still are.
        if self._clock() >= claims.expires_at + self._config.clock_leeway:
            return None
        if self._keyring.verification_key(claims.key_id) is None:
            return None
        return claims

    def _remember(self, token: object, claims: AccessTokenClaims) -> None:
        if not self._cache_size or not isinstance(token, str):
            return
        if len(self._verified) >= self._cache_size:
            # Evict the oldest entry (dicts keep insertion order); bounded memory.
            self._verified.pop(next(iter(self._verified)), None)
        self._verified[token] = claims

    def _verify(self, token: object) -> AccessTokenClaims:
        if not isinstance(token, str) or not token.isascii():
            raise InvalidTokenError()
        if len(token) > self._config.max_token_bytes:
            raise InvalidTokenError()
        segments = token.split(".")
        # RFC 7515 §7.1: exactly three base64url segments; an empty signature is "none".
        if len(segments) != 3 or not all(_SEGMENT.fullmatch(part) for part in segments):
            raise InvalidTokenError()
        header = _json_object(_b64url_decode(segments[0]))
        if not set(header) <= _ALLOWED_HEADER:
            raise InvalidTokenError()
        kid, alg, typ = header.get("kid"), header.get("alg"), header.get("typ")
        if not isinstance(kid, str) or not isinstance(typ, str):
            raise InvalidTokenError()
        if typ.lower() not in _ACCEPTED_TYPES:  # RFC 8725 §3.11: no cross-JWT confusion
            raise InvalidTokenError()
        key = self._keyring.verification_key(kid)
        # RFC 8725 §3.1: the key's own algorithm, never the header's (no "none", no HS256
        # with the public key as HMAC secret).
        if key is None or alg != key.alg:
            raise InvalidTokenError()
        # RFC 7515 §5.2: the signature is over the two first segments as sent. joserfc's
        # algorithm, called directly: the header was already parsed and checked above.
        signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
        algorithm = JWSRegistry.algorithms[key.alg]
        if not algorithm.verify(signing_input, _b64url_decode(segments[2]), key.key):
            raise InvalidTokenError()
        return self._validate_claims(_json_object(_b64url_decode(segments[1])), kid)

    def _validate_claims(self, claims: dict[str, Any], kid: str) -> AccessTokenClaims:
        if any(name not in claims for name in _REQUIRED_CLAIMS):
            raise InvalidTokenError()
        now = self._clock()
        leeway = self._config.clock_leeway
        iss, aud, sub, jti = claims["iss"], claims["aud"], claims["sub"], claims["jti"]
        exp, iat, nbf = (_numeric_date(claims[name]) for name in ("exp", "iat", "nbf"))
        groups, client_id, sid = claims["groups"], claims.get("client_id"), claims.get("sid")
        amr, aal, scope = claims.get("amr", []), claims.get("aal"), claims.get("scope")
        checks = (
            iss == self._config.issuer,  # RFC 7519 §4.1.1
            aud == self._config.audience  # RFC 7519 §4.1.3
            or (isinstance(aud, list) and self._config.audience in aud),
            isinstance(sub, str) and sub != "",
            isinstance(jti, str) and jti != "",
            claims["token_use"] == _TOKEN_USE,
            now < exp + leeway,  # RFC 7519 §4.1.4
            nbf <= now + leeway,  # RFC 7519 §4.1.5
            iat <= now + leeway,  # RFC 7519 §4.1.6: not issued in the future
            isinstance(groups, list) and all(isinstance(group, str) for group in groups),
            client_id is None or isinstance(client_id, str),
            sid is None or (isinstance(sid, str) and _SESSION_ID.fullmatch(sid) is not None),
            isinstance(amr, list)
            and len(amr) <= _MAX_AMR
            and all(isinstance(a, str) and _AMR_VALUE.fullmatch(a) for a in amr),
            aal is None or aal in ("aal1", "aal2"),
            scope is None or isinstance(scope, str),
        )
        if not all(checks):
            raise InvalidTokenError()
        return AccessTokenClaims(
            subject=sub,
            groups=tuple(groups),
            issuer=iss,
            audience=self._config.audience,
            issued_at=int(iat),
            not_before=int(nbf),
            expires_at=int(exp),
            token_id=jti,
            key_id=kid,
            client_id=client_id,
            session_id=sid,
            amr=tuple(amr),
            aal=aal,
            scope=scope,
        )


def _numeric_date(value: object) -> float:
    # RFC 7519 §2 NumericDate: a finite JSON number; bool is an int in Python, and NaN
    # compares false with everything (an exp of NaN would never expire).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTokenError()
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidTokenError()
    return float(value)


def _b64url_decode(segment: str) -> bytes:
    # RFC 7515 §2: base64url without padding; the caller has checked the alphabet.
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _json_object(raw: bytes) -> dict[str, Any]:
    # Strict JSON: UTF-8 only (json.loads would guess UTF-16/32 from bytes), no NaN or
    # Infinity, no duplicate member names (RFC 7519 §4 allows rejecting them).
    # Threat: parsers that disagree on what a token says.
    value = json.loads(
        raw.decode("utf-8"), object_pairs_hook=_unique_members, parse_constant=_no_constants
    )
    if not isinstance(value, dict):
        raise InvalidTokenError()
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise ValueError("duplicate member name")
    return members
