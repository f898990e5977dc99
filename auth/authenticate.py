"""From a presented access token to a :class:`~auth.rules.Caller`.

The one function every entry point (HTTP requests, GraphQL over WebSocket, anything
else) uses to turn a bearer token into the identity the access rules decide for.
"""

from __future__ import annotations

from auth.rules import Caller
from auth.tokens import TokenVerifier

__all__ = ["Authenticator"]


class Authenticator:
    """Verifies access tokens (signature, claims, revocation) and names the caller."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self._verifier = verifier

    def caller_for_token(self, token: str) -> Caller:
        """The user the token was issued to; ``InvalidTokenError`` for any bad token."""
        claims = self._verifier.verify(token)
        return Caller.user(claims.subject, claims.groups)
