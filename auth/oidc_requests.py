"""Authorization requests (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1) and PKCE.

:func:`parse_authorization_request` checks a request in the order that decides where a
refusal may go (RFC 6749 §4.1.2.1): first the client and its redirect URI — compared
as exact strings with the registered ones — and anything wrong there is shown to the
user, never redirected (threat: an open redirector). Everything after is refused on
the verified redirect URI, with the client's ``state``.

What is accepted: ``response_type=code`` only (no implicit or hybrid flow: RFC 9700
§2.1.2), a ``scope`` with ``openid`` and at most ``email``, ``profile`` and
``offline_access`` beside it, PKCE with ``S256`` only (RFC 7636 §4.2; ``plain`` or no
challenge is refused for every client, public or not: RFC 9700 §2.1.1), each parameter
at most once (RFC 6749 §3.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from auth.errors import AuthError, InvalidRequestError
from auth.oauth_clients import OAuthClient
from auth.oauth_errors import (
    AuthorizationRefusedError,
    InvalidScopeError,
    UnsupportedResponseTypeError,
)

__all__ = [
    "SUPPORTED_SCOPES",
    "AuthorizationRequest",
    "parse_authorization_request",
    "pkce_matches",
]

SUPPORTED_SCOPES = ("openid", "email", "profile", "offline_access")
_PROMPTS = frozenset({"none", "login", "consent"})
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1
_MAX_VALUE = 2000


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked authorization request."""

    client: OAuthClient
    redirect_uri: str
    scope: str  # normalised: known scopes, each once, in a fixed order
    code_challenge: str
    state: str | None = None
    nonce: str | None = None
    prompt: frozenset[str] = frozenset()

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


def parse_authorization_request(
    pairs: Sequence[tuple[str, str]], client: OAuthClient | None
) -> AuthorizationRequest:
    """Check the query of ``GET /oauth/authorize`` for ``client`` (looked up by the
    caller from ``client_id``; None when unknown). Raises
    :class:`AuthorizationRefusedError` (``redirect_uri`` None: show it, don't redirect).
    """
    params = dict(pairs)
    repeated = len(params) != len(pairs)
    state = params.get("state")
    if client is None:
        raise AuthorizationRefusedError(InvalidRequestError("Unknown client_id."), None, None)
    redirect_uri = params.get("redirect_uri")
    # Exact string comparison, nothing else (RFC 9700 §4.1.3).
    if redirect_uri is None or redirect_uri not in client.redirect_uris:
        raise AuthorizationRefusedError(
            InvalidRequestError("The redirect_uri is not registered for this client."), None, None
        )
    if repeated:
        # Which value of a repeated state or redirect_uri would be the real one?
        raise AuthorizationRefusedError(InvalidRequestError("A parameter is repeated."), None, None)

    def refuse(cause: AuthError) -> AuthorizationRefusedError:
        return AuthorizationRefusedError(cause, redirect_uri, state)

    if any(len(value) > _MAX_VALUE for value in params.values()):
        raise refuse(InvalidRequestError("A parameter is too long."))
    if params.get("response_type") != "code":
        raise refuse(UnsupportedResponseTypeError())
    if "request" in params or "request_uri" in params:
        raise refuse(InvalidRequestError("Request objects are not supported."))
    if params.get("response_mode", "query") != "query":
        raise refuse(InvalidRequestError("Only response_mode=query is supported."))
    requested = params.get("scope", "").split()
    if "openid" not in requested or not set(requested) <= set(SUPPORTED_SCOPES):
        raise refuse(InvalidScopeError())
    method, challenge = params.get("code_challenge_method"), params.get("code_challenge")
    if method != "S256" or challenge is None or not _CHALLENGE.fullmatch(challenge):
        raise refuse(
            InvalidRequestError("PKCE is required: code_challenge with code_challenge_method=S256.")
        )
    prompt = frozenset(params.get("prompt", "").split())
    if not prompt <= _PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise refuse(InvalidRequestError("prompt is none, or login and/or consent."))
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scope=" ".join(s for s in SUPPORTED_SCOPES if s in requested),
        code_challenge=challenge,
        state=state,
        nonce=params.get("nonce"),
        prompt=prompt,
    )


def pkce_matches(verifier: object, challenge: str) -> bool:
    """Whether ``verifier`` is the one behind the S256 ``challenge`` (RFC 7636 §4.6)."""
    if not isinstance(verifier, str) or not _VERIFIER.fullmatch(verifier):
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed, challenge)
