"""Refresh tokens: opaque, rotated on every use, grouped in families.

A sign-in starts a *family*. Each refresh consumes the family's current token and
returns the next one (rotation); presenting a token that was already consumed means two
parties hold the chain — the user and a thief — so the whole family is revoked
(RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP §4.14.2 "refresh token rotation").

This module is pure: :func:`start_family` and :func:`rotate` map a
:class:`RefreshTokenFamily` state to the next. Persisting it is the caller's job, with a
conditional write on ``generation`` (optimistic locking) so that two concurrent uses of
the same token cannot both succeed as rotations: the loser re-reads and finds its token
consumed.

**Grace for two tabs.** Two tabs of one app that share a refresh token (one cookie) and
refresh at the same moment would otherwise sign the user out: the second presents a
token the first just consumed. So the token consumed by the family's *last* rotation is
still accepted once, within ``reuse_grace`` seconds (5 by default) of that rotation: its
presenter gets a *sibling* of the successor, a second live token of the same
generation (the two heads of the family; using either one rotates the family past
both). Outside these bounds a consumed token is a replay and revokes the family: an
older token, the previous one after the grace, or the previous one a second time.
Only hashes are kept, so a sibling is a new token, never a copy of the successor
(threat: a copy would need the successor's text at rest). What the grace costs: a thief
who replays a token within seconds of its owner gets a sibling instead of revoking the
session — and is found out at the next rotation of either head, like any other replay
(OAuth 2.0 Security BCP, RFC 9700 §4.14.2, allows such a tolerance for this race).

Token text: ``rt1.<family_id>.<token_id>.<secret>``. The ids make lookup a key read
(no search by secret); only a SHA-256 hash of the whole text is stored. The full text is
the credential: log none of it, not even the ids.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Literal

from auth.errors import InvalidGrantError, RefreshTokenReuseError

__all__ = [
    "RefreshToken",
    "RefreshTokenFamily",
    "RefreshTokenPolicy",
    "RevocationReason",
    "hash_refresh_token",
    "holds_live_token",
    "parse_refresh_token",
    "revoke",
    "rotate",
    "start_family",
]

_VERSION = "rt1"
_ID_BYTES = 16  # 128-bit ids: unguessable and collision-free
_SECRET_BYTES = 32  # 256 bits of CSPRNG output, as secrets.token_urlsafe(32)
_FORMAT = re.compile(r"rt1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")
_MAX_TEXT = 128

RevocationReason = Literal["reuse", "sign_out", "admin", "password_change"]


@dataclass(frozen=True, slots=True)
class RefreshTokenPolicy:
    """Lifetimes in seconds: idle (since the last use) and absolute (since sign-in)."""

    idle_timeout: float = 14 * 24 * 3600
    absolute_lifetime: float = 30 * 24 * 3600  # Cognito's default refresh-token validity
    reuse_grace: float = 5.0  # seconds; 0 turns the two-tab grace off


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A refresh token as handed to the client; ``text`` is what it sends back."""

    family_id: str
    token_id: str
    secret: str = field(repr=False)  # threat: the credential in logs

    @property
    def text(self) -> str:
        return f"{_VERSION}.{self.family_id}.{self.token_id}.{self.secret}"

    @classmethod
    def generate(cls, family_id: str | None = None) -> RefreshToken:
        return cls(
            family_id=family_id or secrets.token_urlsafe(_ID_BYTES),
            token_id=secrets.token_urlsafe(_ID_BYTES),
            secret=secrets.token_urlsafe(_SECRET_BYTES),
        )


def parse_refresh_token(text: object) -> RefreshToken:
    """Split a presented token into its parts; ``InvalidGrantError`` if it is malformed."""
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        raise InvalidGrantError()
    match = _FORMAT.fullmatch(text)
    if match is None:
        raise InvalidGrantError()
    family_id, token_id, secret = match.groups()
    return RefreshToken(family_id=family_id, token_id=token_id, secret=secret)


def hash_refresh_token(token: RefreshToken) -> str:
    """Hex SHA-256 of the token text: what the store keeps instead of the token.

    A fast hash is enough here, unlike for passwords: the secret is 256 bits from a
    CSPRNG, so there is no dictionary to try and 2**256 guesses is out of reach at any
    hashing speed. A slow hash (argon2) defends low-entropy human secrets, and would
    only make every refresh expensive. The hash means a leaked table of families holds
    no usable tokens (RFC 6819 §5.1.4.1.3).
    """
    return hashlib.sha256(token.text.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class RefreshTokenFamily:
    """The persisted state of one sign-in's chain of refresh tokens. Times are epoch seconds."""

    family_id: str
    subject: str
    current_token_id: str
    current_token_hash: str
    generation: int
    created_at: float
    last_used_at: float
    idle_expires_at: float
    absolute_expires_at: float
    revoked: bool = False
    revoked_reason: RevocationReason | None = None
    # The token the last rotation consumed, and when: accepted once more within the
    # grace (see the module docstring). ``sibling_*`` is the second head it was given.
    previous_token_id: str | None = None
    previous_token_hash: str | None = None
    rotated_at: float | None = None
    sibling_token_id: str | None = None
    sibling_token_hash: str | None = None
    # How the sign-in that started the family was proven (RFC 8176 values): its
    # access tokens carry it, refreshed or not.
    amr: tuple[str, ...] = ()
    # A family issued to an app that signs its users in with baas (auth.oidc_provider):
    # that client alone may refresh it, and its tokens carry only the granted scope.
    client_id: str | None = None
    scope: str | None = None

    def is_expired(self, now: float) -> bool:
        return now >= self.idle_expires_at or now >= self.absolute_expires_at


def start_family(
    subject: str,
    *,
    now: float,
    policy: RefreshTokenPolicy,
    amr: tuple[str, ...] = (),
    client_id: str | None = None,
    scope: str | None = None,
) -> tuple[RefreshTokenFamily, RefreshToken]:
    """A new family for a fresh sign-in of ``subject`` (by an OAuth client's grant when
    ``client_id`` is given), and its first token."""
    token = RefreshToken.generate()
    absolute = now + policy.absolute_lifetime
    family = RefreshTokenFamily(
        family_id=token.family_id,
        subject=subject,
        current_token_id=token.token_id,
        current_token_hash=hash_refresh_token(token),
        generation=0,
        created_at=now,
        last_used_at=now,
        idle_expires_at=min(now + policy.idle_timeout, absolute),
        absolute_expires_at=absolute,
        amr=amr,
        client_id=client_id,
        scope=scope,
    )
    return family, token


def rotate(
    family: RefreshTokenFamily,
    presented: RefreshToken,
    *,
    now: float,
    policy: RefreshTokenPolicy,
) -> tuple[RefreshTokenFamily, RefreshToken]:
    """Consume ``presented`` and return the family's next state and the next token.

    Raises ``InvalidGrantError`` if the family is revoked or expired or the secret is
    wrong (state unchanged), and ``RefreshTokenReuseError`` carrying the revoked state
    if ``presented`` is an already-consumed token of this family (outside the grace).
    """
    if presented.family_id != family.family_id or family.revoked or family.is_expired(now):
        raise InvalidGrantError()
    if presented.token_id == family.previous_token_id and _in_grace(family, now, policy):
        _check_secret(presented, family.previous_token_hash)
        sibling = RefreshToken.generate(family.family_id)
        with_sibling = replace(
            family,
            sibling_token_id=sibling.token_id,
            sibling_token_hash=hash_refresh_token(sibling),
            generation=family.generation + 1,
            last_used_at=now,
        )
        return with_sibling, sibling
    if presented.token_id == family.current_token_id:
        _check_secret(presented, family.current_token_hash)
    elif presented.token_id == family.sibling_token_id:
        _check_secret(presented, family.sibling_token_hash)
    else:
        # A consumed token came back: one of its two holders is a thief. We cannot
        # tell which, so both lose the session.
        raise RefreshTokenReuseError(revoke(family, reason="reuse"))
    following = RefreshToken.generate(family.family_id)
    next_family = replace(
        family,
        current_token_id=following.token_id,
        current_token_hash=hash_refresh_token(following),
        generation=family.generation + 1,
        last_used_at=now,
        idle_expires_at=min(now + policy.idle_timeout, family.absolute_expires_at),
        previous_token_id=presented.token_id,
        previous_token_hash=hash_refresh_token(presented),
        rotated_at=now,
        sibling_token_id=None,
        sibling_token_hash=None,
    )
    return next_family, following


def holds_live_token(family: RefreshTokenFamily, presented: RefreshToken) -> bool:
    """Whether ``presented`` is one of the family's live heads (current or sibling)."""
    for token_id, token_hash in (
        (family.current_token_id, family.current_token_hash),
        (family.sibling_token_id, family.sibling_token_hash),
    ):
        if presented.token_id == token_id and token_hash is not None:
            return hmac.compare_digest(hash_refresh_token(presented), token_hash)
    return False


def _in_grace(family: RefreshTokenFamily, now: float, policy: RefreshTokenPolicy) -> bool:
    """The previous token may come back once: within the grace, while no sibling exists."""
    return (
        family.rotated_at is not None
        and family.sibling_token_id is None
        and now - family.rotated_at <= policy.reuse_grace
    )


def _check_secret(presented: RefreshToken, expected_hash: str | None) -> None:
    if expected_hash is None or not hmac.compare_digest(
        hash_refresh_token(presented), expected_hash
    ):
        # Right ids, wrong secret: not a token we issued. Refuse it without revoking, so
        # a forgery cannot be turned into a forced sign-out.
        raise InvalidGrantError()


def revoke(family: RefreshTokenFamily, *, reason: RevocationReason) -> RefreshTokenFamily:
    """The family, revoked: no token of it will refresh again (sign-out, reuse, admin)."""
    if family.revoked:
        return family
    return replace(family, revoked=True, revoked_reason=reason, generation=family.generation + 1)
