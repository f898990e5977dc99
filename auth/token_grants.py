"""What a successful sign-in, refresh or upgrade hands back: tokens for a user.

:class:`TokenGrants` signs the access token and (for a new sign-in) starts a session.
Access tokens are issued no earlier than the user's ``not_before``: that time is
rounded up to the next second when tokens are revoked, so a token issued in the same
second for the *new* session (after a password change, say) must carry an ``iat`` that
is not before it, or the revocation would kill it too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from auth.refresh_store import session_id_of
from auth.refresh_tokens import RefreshToken
from auth.sessions import SessionService
from auth.signing_keys import KeyRing
from auth.tokens import IssuedAccessToken, TokenConfig, TokenIssuer
from auth.users import User

__all__ = ["IssuedTokens", "TokenGrants"]


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """An access token, maybe a refresh token, and the user they are for."""

    access: IssuedAccessToken = field(repr=False)  # threat: tokens in logs
    refresh: RefreshToken | None = field(repr=False)
    user: User

    def token_response(self, *, include_refresh: bool = True) -> dict[str, object]:
        """The body of a successful token response (RFC 6749 §5.1)."""
        body: dict[str, object] = {
            "access_token": self.access.token,
            "token_type": "Bearer",
            "expires_in": self.access.expires_in,
            "user": self.user.public_view(),
        }
        if include_refresh and self.refresh is not None:
            body["refresh_token"] = self.refresh.text
        return body


class TokenGrants:
    """Signs access tokens and starts sessions."""

    def __init__(self, keyring: KeyRing, config: TokenConfig, sessions: SessionService) -> None:
        self._keyring = keyring
        self._config = config
        self.sessions = sessions

    def access_token(
        self,
        user: User,
        *,
        session: RefreshToken,
        amr: tuple[str, ...] = (),
        client: tuple[TokenConfig, str, str] | None = None,
    ) -> IssuedAccessToken:
        """An access token of ``session`` (its ``sid``: ending the session refuses it),
        which was signed in with ``amr`` (the ``amr`` and ``aal`` claims). For an OAuth
        client, ``client`` is (its tokens' config, its client id, the granted scope)."""
        floor = user.not_before or 0.0
        config, client_id, scope = client if client is not None else (self._config, None, None)
        issuer = TokenIssuer(self._keyring, config, clock=lambda: max(time.time(), floor))
        return issuer.issue_access_token(
            user.user_id,
            user.groups,
            session_id=session_id_of(session.family_id),
            amr=amr,
            client_id=client_id,
            scope=scope,
        )

    async def new_session(
        self, user: User, *, user_agent: str = "", amr: tuple[str, ...] = ()
    ) -> IssuedTokens:
        """Tokens for a fresh sign-in proven by ``amr`` (RFC 8176 values: ``pwd``,
        ``otp``, ``mfa`` …): a new refresh-token family and an access token."""
        refresh = await self.sessions.start(user.user_id, user_agent=user_agent, amr=amr)
        return IssuedTokens(self.access_token(user, session=refresh, amr=amr), refresh, user)
