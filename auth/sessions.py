"""Sessions: starting, refreshing, listing and ending refresh-token families.

Glue between the pure state machine of :mod:`auth.refresh_tokens` and its storage in
:mod:`auth.refresh_store`. A refresh runs "read, rotate, conditional write"; when the
write loses a race it reads again and rotates from the new state: the token it holds is
then the one just consumed, accepted once within the two-tab grace (a sibling token),
or a replay that revokes the family.

Ending a session (sign-out, the session list, a replay, an admin) revokes its family
and, in the same transaction, records the session as revoked, which refuses its access
tokens (their ``sid``) in every API process; ``on_revoked(user_id, session_id)`` tells
this process at once.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable

from auth.errors import InvalidGrantError, RefreshTokenReuseError
from auth.refresh_store import (
    RefreshTokenRepository,
    SessionRecord,
    StaleFamilyError,
    session_id_of,
)
from auth.refresh_tokens import (
    RefreshToken,
    RefreshTokenFamily,
    RefreshTokenPolicy,
    RevocationReason,
    hash_refresh_token,
    holds_live_token,
    parse_refresh_token,
    rotate,
    start_family,
)
from auth.security_events import NO_SECURITY_EVENTS, SecurityEvents

__all__ = ["SessionRevoked", "SessionService"]

SessionRevoked = Callable[[str, str], None]
"""``(user_id, session_id)``: a session of the user was just revoked by this process."""

_log = logging.getLogger("auth.sessions")
_MAX_WRITE_ATTEMPTS = 3


class SessionService:
    """Refresh-token families of all users."""

    def __init__(
        self,
        repository: RefreshTokenRepository,
        policy: RefreshTokenPolicy,
        *,
        on_revoked: SessionRevoked | None = None,
        events: SecurityEvents = NO_SECURITY_EVENTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repository = repository
        self._policy = policy
        self._on_revoked = on_revoked
        self._events = events
        self._clock = clock

    async def start(
        self,
        user_id: str,
        *,
        user_agent: str = "",
        amr: tuple[str, ...] = (),
        client_id: str | None = None,
        scope: str | None = None,
    ) -> RefreshToken:
        """A new session (family) for a fresh sign-in proven by ``amr`` (for the OAuth
        client ``client_id`` when given); returns its first refresh token."""
        family, token = start_family(
            user_id,
            now=self._clock(),
            policy=self._policy,
            amr=amr,
            client_id=client_id,
            scope=scope,
        )
        await self._repository.insert(family, user_agent=user_agent)
        return token

    async def refresh(
        self, text: object, *, client_id: str | None = None
    ) -> tuple[RefreshTokenFamily, RefreshToken]:
        """Consume a refresh token of ``client_id``'s (None: baas's own sign-ins); the
        family's new state and the next token.

        ``InvalidGrantError`` for anything unusable, another client's token included
        (threat: an app's refresh token turned into baas's own tokens, or another app's);
        ``RefreshTokenReuseError`` (after the revoked state is saved) for a replayed token.
        """
        presented = parse_refresh_token(text)
        for _attempt in range(_MAX_WRITE_ATTEMPTS):
            family = await self._repository.get(presented.family_id)
            if family is None or family.client_id != client_id:
                raise InvalidGrantError()
            try:
                following, token = rotate(family, presented, now=self._clock(), policy=self._policy)
            except RefreshTokenReuseError:
                # Save the revoked state, or the thief would keep the live end of the chain.
                await self._revoke(family, "reuse")
                raise
            try:
                await self._repository.replace(following, expected_generation=family.generation)
            except StaleFamilyError:
                continue  # someone else moved it: re-read, and rotate() decides
            return following, token
        raise InvalidGrantError()

    async def end(self, text: object) -> str:
        """Sign out the session of a refresh token; the user id whose session ended.

        A live token (current or sibling) ends its session. So does a consumed token of a
        live family: the token just rotated away (two tabs, one signing out) ends it as a
        sign-out, an older one as the replay it is. ``InvalidGrantError`` when nothing
        ended: malformed, unknown, revoked or expired, or a live token id with the wrong
        secret (threat: a forgery forcing a sign-out).
        """
        presented = parse_refresh_token(text)
        family = await self._repository.get(presented.family_id)
        if family is None or family.revoked or family.is_expired(self._clock()):
            raise InvalidGrantError()
        if holds_live_token(family, presented):
            reason: RevocationReason = "sign_out"
        elif presented.token_id in (family.current_token_id, family.sibling_token_id):
            raise InvalidGrantError()
        elif presented.token_id == family.previous_token_id and hmac.compare_digest(
            hash_refresh_token(presented), family.previous_token_hash or ""
        ):
            reason = "sign_out"
        else:
            reason = "reuse"
        if not await self._revoke(family, reason):
            raise InvalidGrantError()  # someone else ended it meanwhile
        if reason == "sign_out":
            self._record_sign_out(family)
        return family.subject

    async def live_family(self, text: object) -> RefreshTokenFamily | None:
        """The live family of which ``text`` is a live token, without using it up (a
        provider's browser session, see auth.oidc_provider); None for anything else."""
        try:
            presented = parse_refresh_token(text)
        except InvalidGrantError:
            return None
        family = await self._repository.get(presented.family_id)
        if family is None or family.revoked or family.is_expired(self._clock()):
            return None
        return family if holds_live_token(family, presented) else None

    async def revoke_family(self, family_id: str, reason: RevocationReason) -> bool:
        """End the session of a family known by id (a reused authorization code's)."""
        family = await self._repository.get(family_id)
        return family is not None and await self._revoke(family, reason)

    async def sessions(self, user_id: str) -> list[SessionRecord]:
        """The user's live sessions, newest first."""
        return await self._repository.sessions_of(user_id, active_at=self._clock())

    async def end_session(self, user_id: str, session_id: str) -> bool:
        """End one of the user's sessions by its public id; False if it has none such."""
        for record in await self.sessions(user_id):
            if record.session_id == session_id:
                ended = await self._revoke(record.family, "sign_out")
                if ended:
                    self._record_sign_out(record.family)
                return ended
        return False

    async def end_all(self, user_id: str, reason: RevocationReason) -> int:
        """End every live session of the user; returns how many were ended."""
        ended = 0
        for record in await self.sessions(user_id):
            if await self._revoke(record.family, reason):
                ended += 1
        return ended

    async def _revoke(self, family: RefreshTokenFamily, reason: RevocationReason) -> bool:
        revoked = await self._repository.mark_revoked(family, reason, now=self._clock())
        if revoked and self._on_revoked is not None:
            self._on_revoked(family.subject, session_id_of(family.family_id))
        if revoked and reason == "reuse":
            _log.warning("refresh token reuse detected; session revoked")
            session = session_id_of(family.family_id)
            self._events.record("refresh_token_reused", user_id=family.subject, session=session)
        return revoked

    def _record_sign_out(self, family: RefreshTokenFamily) -> None:
        session = session_id_of(family.family_id)
        self._events.record("signed_out", user_id=family.subject, scope="session", session=session)
