"""Sessions: starting, refreshing, listing and ending refresh-token families.

Glue between the pure state machine of :mod:`auth.refresh_tokens` and its storage in
:mod:`auth.refresh_store`. A refresh runs "read, rotate, conditional write"; when the
write loses a race it reads again, and the rotation then sees a consumed token and
revokes the family — so of two concurrent uses of one token at most one wins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from auth.errors import InvalidGrantError, RefreshTokenReuseError
from auth.refresh_store import RefreshTokenRepository, SessionRecord, StaleFamilyError
from auth.refresh_tokens import (
    RefreshToken,
    RefreshTokenFamily,
    RefreshTokenPolicy,
    RevocationReason,
    hash_refresh_token,
    parse_refresh_token,
    rotate,
    start_family,
)

__all__ = ["SessionService"]

_log = logging.getLogger("auth.sessions")
_MAX_WRITE_ATTEMPTS = 3


class SessionService:
    """Refresh-token families of all users."""

    def __init__(
        self,
        repository: RefreshTokenRepository,
        policy: RefreshTokenPolicy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repository = repository
        self._policy = policy
        self._clock = clock

    async def start(self, user_id: str, *, user_agent: str = "") -> RefreshToken:
        """A new session (family) for a fresh sign-in; returns its first refresh token."""
        family, token = start_family(user_id, now=self._clock(), policy=self._policy)
        await self._repository.insert(family, user_agent=user_agent)
        return token

    async def refresh(self, text: object) -> tuple[RefreshTokenFamily, RefreshToken]:
        """Consume a refresh token; the family's new state and the next token.

        ``InvalidGrantError`` for anything unusable; ``RefreshTokenReuseError`` (after the
        revoked state is saved) for a replayed token.
        """
        presented = parse_refresh_token(text)
        for _attempt in range(_MAX_WRITE_ATTEMPTS):
            family = await self._repository.get(presented.family_id)
            if family is None:
                raise InvalidGrantError()
            try:
                following, token = rotate(family, presented, now=self._clock(), policy=self._policy)
            except RefreshTokenReuseError:
                # Save the revoked state, or the thief would keep the live end of the chain.
                await self._repository.mark_revoked(family.family_id, "reuse")
                _log.warning("refresh token reuse detected; session revoked")
                raise
            try:
                await self._repository.replace(following, expected_generation=family.generation)
            except StaleFamilyError:
                continue  # someone else moved it: re-read, and rotate() decides
            return following, token
        raise InvalidGrantError()

    async def end(self, text: object) -> str | None:
        """Sign out the session of a refresh token (the current one of its family).

        Returns the user id whose session ended, or None when the token was not live.
        A consumed or forged token ends nothing: only the holder of the live token may.
        """
        try:
            presented = parse_refresh_token(text)
        except InvalidGrantError:
            return None
        family = await self._repository.get(presented.family_id)
        if family is None or family.current_token_hash != hash_refresh_token(presented):
            return None
        await self._repository.mark_revoked(family.family_id, "sign_out")
        return family.subject

    async def sessions(self, user_id: str) -> list[SessionRecord]:
        """The user's live sessions, newest first."""
        return await self._repository.sessions_of(user_id, active_at=self._clock())

    async def end_session(self, user_id: str, session_id: str) -> bool:
        """End one of the user's sessions by its public id; False if it has none such."""
        for record in await self.sessions(user_id):
            if record.session_id == session_id:
                return await self._repository.mark_revoked(record.family.family_id, "sign_out")
        return False

    async def end_all(self, user_id: str, reason: RevocationReason) -> int:
        """End every live session of the user; returns how many were ended."""
        ended = 0
        for record in await self.sessions(user_id):
            if await self._repository.mark_revoked(record.family.family_id, reason):
                ended += 1
        return ended
