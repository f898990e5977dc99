"""auth: managed identity — passwords, tokens, signing keys, refresh-token families,
access rules and sign-in throttling.

The core modules are pure or talk to persistence through small Protocols
(``SigningKeyRepository``, ``ThrottleRepository``). On top of them, the account flows
(``accounts``, ``sessions``, ``admin``, ``social``) keep their state in system tables of
the document store (``system_tables``, ``users``, ``refresh_store``, ``stored_*``,
``revocation``); ``baas.auth_wiring`` assembles them and ``baas.auth_routes`` serves
them over HTTP. This package never imports a web framework or temporalio.
"""

from auth.errors import (
    AccessDeniedError,
    AuthError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidTokenError,
    RefreshTokenReuseError,
    ThrottledError,
    WeakPasswordError,
)
from auth.passwords import PasswordHasher, PasswordHashingConfig, PasswordPolicy
from auth.refresh_tokens import RefreshToken, RefreshTokenFamily, RefreshTokenPolicy
from auth.rules import Caller, Decision, Rule, allow, decide
from auth.signing_keys import KeyRing, SigningKey, SigningKeyRepository
from auth.throttle import SignInThrottle, ThrottlePolicy, ThrottleRepository, client_address
from auth.tokens import AccessTokenClaims, TokenConfig, TokenIssuer, TokenVerifier

__all__ = [
    "AccessDeniedError",
    "AccessTokenClaims",
    "AuthError",
    "Caller",
    "Decision",
    "InvalidCredentialsError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidTokenError",
    "KeyRing",
    "PasswordHasher",
    "PasswordHashingConfig",
    "PasswordPolicy",
    "RefreshToken",
    "RefreshTokenFamily",
    "RefreshTokenPolicy",
    "RefreshTokenReuseError",
    "Rule",
    "SignInThrottle",
    "SigningKey",
    "SigningKeyRepository",
    "ThrottlePolicy",
    "ThrottleRepository",
    "ThrottledError",
    "TokenConfig",
    "TokenIssuer",
    "TokenVerifier",
    "WeakPasswordError",
    "allow",
    "client_address",
    "decide",
]
