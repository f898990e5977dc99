"""Errors of baas as an OAuth 2.0 / OpenID Connect provider, with the specs' codes.

Each ``code`` is the error code an OAuth client switches on (RFC 6749 §4.1.2.1, §5.2;
OpenID Connect Core §3.1.2.6); ``baas.oidc_routes`` renders them in the spec's shape
(``{"error", "error_description"}``, or on the redirect URI's query). They extend
:class:`~auth.errors.AuthError`, so the rest of the API maps them like any other::

    AuthError
    ├── InvalidRequestError         invalid_request            (auth.errors)
    ├── InvalidGrantError           invalid_grant              (auth.errors)
    ├── UnsupportedGrantTypeError   unsupported_grant_type     (auth.errors)
    ├── AccessDeniedError           access_denied              (auth.errors)
    └── OAuthError
        ├── InvalidClientError          invalid_client             unknown client, bad secret
        ├── UnauthorizedClientError     unauthorized_client        not this client's grant
        ├── UnsupportedResponseTypeError unsupported_response_type  implicit, hybrid …
        ├── InvalidScopeError           invalid_scope              no openid, unknown scope
        ├── LoginRequiredError          login_required             prompt=none, signed out
        ├── ConsentRequiredError        consent_required           prompt=none, no consent
        └── AuthorizationRefusedError   (its cause's)              where to send a refusal
"""

from __future__ import annotations

from auth.errors import AuthError

__all__ = [
    "AuthorizationRefusedError",
    "ConsentRequiredError",
    "InvalidClientError",
    "InvalidScopeError",
    "LoginRequiredError",
    "OAuthError",
    "UnauthorizedClientError",
    "UnsupportedResponseTypeError",
]


class OAuthError(AuthError):
    """Root of the provider's own errors (the shared ones live in :mod:`auth.errors`)."""

    code = "invalid_request"
    default_message = "The authorization request is invalid."


class InvalidClientError(OAuthError):
    """Client authentication failed: unknown client, wrong or missing secret (RFC 6749 §5.2).

    One answer for every reason (threat: probing which client ids exist)."""

    code = "invalid_client"
    default_message = "Client authentication failed."


class UnauthorizedClientError(OAuthError):
    """The client may not use this grant or token (another client's code or token)."""

    code = "unauthorized_client"
    default_message = "The client is not allowed to do this."


class UnsupportedResponseTypeError(OAuthError):
    """Only ``response_type=code`` (RFC 9700 §2.1.2: no implicit grant)."""

    code = "unsupported_response_type"
    default_message = "Only response_type=code is supported (no implicit or hybrid flow)."


class InvalidScopeError(OAuthError):
    """The scope is missing ``openid`` or asks for what this provider does not offer."""

    code = "invalid_scope"
    default_message = "The scope must include openid; email and profile may be added."


class LoginRequiredError(OAuthError):
    """``prompt=none`` and nobody is signed in (OpenID Connect Core §3.1.2.6)."""

    code = "login_required"
    default_message = "The user must sign in."


class ConsentRequiredError(OAuthError):
    """``prompt=none`` and the user has not consented yet (OpenID Connect Core §3.1.2.6)."""

    code = "consent_required"
    default_message = "The user must consent."


class AuthorizationRefusedError(OAuthError):
    """An authorization request refused with ``cause``; sent back to the client on its
    ``redirect_uri`` (with ``state``) when that URI was verified, else shown to the user.

    Threat: redirecting anywhere before the client and its exact redirect URI are known
    (an open redirector, RFC 6749 §4.1.2.1)."""

    def __init__(self, cause: AuthError, redirect_uri: str | None, state: str | None) -> None:
        super().__init__(cause.message)
        self.cause = cause
        self.redirect_uri = redirect_uri
        self.state = state
