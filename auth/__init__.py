"""auth: managed identity — passwords, tokens, signing keys, refresh-token families,
access rules and sign-in throttling.

The modules here are pure or talk to persistence through small Protocols
(``SigningKeyRepository``, ``ThrottleRepository``); the store-backed implementations and
the HTTP routes are wired elsewhere. This package never imports a web framework or
temporalio.
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
