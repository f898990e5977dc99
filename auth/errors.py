"""Errors raised by the auth package.

Every error has a stable machine-readable ``code`` (a class attribute, safe to show to
clients and to switch on) and a human-readable ``message`` that is equally safe: it never
says whether an account exists and never contains a password, token, hash or key.
Mapping codes to HTTP statuses and GraphQL error codes is ``baas/``'s job, not ours.

The tree::

    AuthError                          auth_error
    ├── InvalidRequestError            invalid_request      malformed input
    ├── InvalidTokenError              invalid_token        bad/expired/revoked access token
    ├── AuthenticationRequiredError    unauthorized         no access token where one is needed
    ├── InvalidGrantError              invalid_grant        bad/expired/revoked refresh token
    │   └── RefreshTokenReuseError     invalid_grant        replayed refresh token (family revoked)
    ├── InvalidCredentialsError        invalid_credentials  wrong identifier or password
    ├── WeakPasswordError              weak_password        password refused by the policy
    ├── AccessDeniedError              access_denied        an access rule said no
    ├── ItemNotFoundError              not_found            no such item, or not yours to see
    ├── ThrottledError                 too_many_requests    too many failures; retry later
    ├── EmailNotVerifiedError          email_not_verified   right password, email not yet verified
    ├── InvalidCodeError               invalid_code         wrong, used or expired email code
    ├── InvalidMfaCodeError            invalid_mfa_code     wrong or used TOTP / recovery code
    ├── InvalidMfaTokenError           invalid_mfa_token    the sign-in step expired or was used
    ├── MfaRequiredError               mfa_required         a security change needs the 2nd factor
    ├── PasskeyError                   passkey_failed       a WebAuthn answer did not verify
    ├── AccountExistsError             account_exists       social email matches a password account
    ├── SocialLoginError               social_login_failed  the provider's answer was refused
    ├── UnsupportedGrantTypeError      unsupported_grant_type  token endpoint: not refresh_token
    ├── UnsupportedMediaTypeError      unsupported_media_type  a credential sent other than as JSON
    ├── SecretKeyError                 secret_key_error     a sealed secret does not open (operator)
    ├── AuthUnavailableError           temporarily_unavailable  revocation state is stale (store down)
    └── ModelDeclarationError          invalid_model        a model declaration cannot work (start-up)

``invalid_request``, ``invalid_grant`` and ``invalid_token`` are the OAuth 2.0 codes of
RFC 6749 §5.2 and RFC 6750 §3.1, so a client that knows OAuth knows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from auth.refresh_tokens import RefreshTokenFamily

__all__ = [
    "AccessDeniedError",
    "AccountExistsError",
    "AuthError",
    "AuthUnavailableError",
    "AuthenticationRequiredError",
    "EmailNotVerifiedError",
    "InvalidCodeError",
    "InvalidCredentialsError",
    "InvalidGrantError",
    "InvalidMfaCodeError",
    "InvalidMfaTokenError",
    "InvalidRequestError",
    "InvalidTokenError",
    "ItemNotFoundError",
    "MfaRequiredError",
    "ModelDeclarationError",
    "PasskeyError",
    "RefreshTokenReuseError",
    "SecretKeyError",
    "SocialLoginError",
    "ThrottledError",
    "UnsupportedGrantTypeError",
    "UnsupportedMediaTypeError",
    "WeakPasswordError",
    "WeakPasswordReason",
]


class AuthError(Exception):
    """Root of every error raised on purpose by ``auth``.

    ``message`` defaults to the class's ``default_message``; pass another one only if it
    is as safe (fixed text, no user input, nothing that tells accounts apart).
    """

    code: ClassVar[str] = "auth_error"
    default_message: ClassVar[str] = "Authentication failed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)


class InvalidRequestError(AuthError):
    """The request is malformed: a missing field, a value of the wrong shape (RFC 6749 §5.2)."""

    code = "invalid_request"
    default_message = "The request is invalid."


class InvalidTokenError(AuthError):
    """The access token is not acceptable, whatever the reason (RFC 6750 §3.1).

    One code and one message for every reason on purpose: telling an attacker *why* a
    forged token failed (bad signature vs unknown key vs expired) helps them forge the next.
    """

    code = "invalid_token"
    default_message = "The access token is invalid or has expired."


class InvalidGrantError(AuthError):
    """The refresh token (or other grant) is invalid, expired or revoked (RFC 6749 §5.2)."""

    code = "invalid_grant"
    default_message = "The refresh token is invalid, expired or revoked."


class RefreshTokenReuseError(InvalidGrantError):
    """A refresh token that was already rotated away was presented again.

    The whole family is revoked (RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP §4.14.2).
    ``family`` is the revoked state: the caller MUST persist it, otherwise the attacker
    who replayed the token keeps the live end of the chain.
    """

    def __init__(self, family: RefreshTokenFamily, message: str | None = None) -> None:
        super().__init__(message)
        self.family = family


class InvalidCredentialsError(AuthError):
    """Wrong identifier or password; deliberately does not say which (no user enumeration)."""

    code = "invalid_credentials"
    default_message = "Incorrect email or password."


WeakPasswordReason = Literal["too_short", "too_long", "too_common", "too_similar", "invalid"]

_WEAK_PASSWORD_MESSAGES: dict[WeakPasswordReason, str] = {
    "too_short": "The password is too short.",
    "too_long": "The password is too long.",
    "too_common": "The password is too common.",
    "too_similar": "The password is too similar to the account's email or name.",
    "invalid": "The password contains characters that cannot be stored.",
}


class WeakPasswordError(AuthError):
    """The password policy refused a new password; ``reason`` says which rule, for the UI."""

    code = "weak_password"
    default_message = "The password does not meet the password policy."

    def __init__(self, reason: WeakPasswordReason) -> None:
        super().__init__(_WEAK_PASSWORD_MESSAGES[reason])
        self.reason: WeakPasswordReason = reason


class AccessDeniedError(AuthError):
    """An access rule denied the operation (RFC 6749 §4.1.2.1 ``access_denied``)."""

    code = "access_denied"
    default_message = "You are not allowed to perform this operation."


class ItemNotFoundError(AuthError):
    """The item does not exist *for this caller*: absent, or owned by someone else.

    One answer for both, so a caller cannot probe which keys exist in other users' data.
    """

    code = "not_found"
    default_message = "No such item."


class ThrottledError(AuthError):
    """Too many recent failures; ``retry_after`` is whole seconds until a retry may succeed.

    Raised for an identifier whether or not an account exists for it, so that being
    throttled does not reveal which accounts exist.
    """

    code = "too_many_requests"
    default_message = "Too many attempts. Try again later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class EmailNotVerifiedError(AuthError):
    """The password was right but the email is not verified yet.

    Only said after a correct password, so it reveals nothing to someone guessing.
    Threat it answers: pre-account hijacking (someone signs up with a victim's email and
    waits for the victim to use the account) — an unverified account cannot sign in.
    """

    code = "email_not_verified"
    default_message = "Verify your email address first; a new code can be sent."


class AccountExistsError(AuthError):
    """A social identity's email belongs to an existing account, which it must not enter.

    Threat: account takeover through a provider that vouches for an email the attacker
    does not own. The user signs in to the account first and links the provider.
    """

    code = "account_exists"
    default_message = (
        "An account with this email already exists. Sign in to it, then link this "
        "provider from your account (POST /auth/link/{provider})."
    )


class SocialLoginError(AuthError):
    """The social-login round trip failed: bad state, bad ID token, provider error."""

    code = "social_login_failed"
    default_message = "Signing in with the provider failed. Start again."


class AuthUnavailableError(AuthError):
    """Auth cannot decide safely right now (its revocation state is too old).

    Fails closed: while the store is unreachable, tokens are refused rather than
    accepted without knowing whether they were revoked.
    """

    code = "temporarily_unavailable"
    default_message = "Authentication is temporarily unavailable. Try again shortly."


class InvalidCodeError(AuthError):
    """An emailed code is wrong, used, expired, or not for this email (one answer for all)."""

    code = "invalid_code"
    default_message = "The code is invalid or has expired. Ask for a new one."


class AuthenticationRequiredError(AuthError):
    """The operation needs a signed-in user and the request carried no access token."""

    code = "unauthorized"
    default_message = "Sign in first: send 'Authorization: Bearer <access token>'."


class UnsupportedGrantTypeError(AuthError):
    """The token endpoint does not support this ``grant_type`` (RFC 6749 §5.2)."""

    code = "unsupported_grant_type"
    default_message = "Only grant_type=refresh_token is supported here."


class ModelDeclarationError(AuthError):
    """A model declaration cannot work; the message names the model and the field.

    Raised while an application is loaded (``@app.model``), never while serving: the
    CLI prints the message and stops.
    """

    code = "invalid_model"
    default_message = "A model declaration is invalid."


class UnsupportedMediaTypeError(AuthError):
    """A body sent to a credential route is not ``application/json``.

    Threat: login CSRF — a page on another site cannot send JSON without a CORS
    preflight, but a form or ``text/plain`` post goes through and would sign the
    victim's browser in to the attacker's account.
    """

    code = "unsupported_media_type"
    default_message = "Send the request body as application/json."


class SecretKeyError(AuthError):
    """A secret in the store does not open with the configured secret key.

    The operator's problem, never a client's: the wrong ``BAAS_SECRET_KEY``, or a store
    altered on disk. Unmapped to HTTP on purpose (a generic 500 if it ever reaches a
    request); at start-up it stops the process with its message.
    """

    code = "secret_key_error"
    default_message = "A sealed secret does not open with the configured secret key."


class InvalidMfaCodeError(AuthError):
    """A second-factor code (TOTP or recovery code) is wrong, or was already used."""

    code = "invalid_mfa_code"
    default_message = "The code is wrong or was already used."


class InvalidMfaTokenError(AuthError):
    """The MFA token of a sign-in under way is unknown, expired or already used."""

    code = "invalid_mfa_token"
    default_message = "This sign-in step has expired or was already used. Sign in again."


class MfaRequiredError(AuthError):
    """A security change (password, email, second factors, deletion) needs the account's
    second factor: a TOTP or recovery code (``mfa_code``) or a passkey.

    Threat: a stolen access token (or an unattended session) being enough to take the
    account over by changing how it signs in.
    """

    code = "mfa_required"
    default_message = "This change needs your second factor: send 'mfa_code'."


class PasskeyError(AuthError):
    """A passkey ceremony failed: its flow expired or was used, or the authenticator's
    answer did not verify (another site's, another challenge's, a cloned key's)."""

    code = "passkey_failed"
    default_message = "The passkey could not be verified. Start again."
