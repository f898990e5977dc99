"""The error tree: stable codes, safe messages."""

from __future__ import annotations

import pytest

from auth import errors
from auth.errors import (
    AccessDeniedError,
    AccountExistsError,
    AuthenticationRequiredError,
    AuthError,
    AuthUnavailableError,
    EmailNotVerifiedError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidMfaCodeError,
    InvalidMfaTokenError,
    InvalidRequestError,
    InvalidTokenError,
    ItemNotFoundError,
    MfaRequiredError,
    ModelDeclarationError,
    PasskeyError,
    RefreshTokenReuseError,
    SecretKeyError,
    SocialLoginError,
    ThrottledError,
    UnsupportedGrantTypeError,
    UnsupportedMediaTypeError,
    WeakPasswordError,
)
from auth.refresh_tokens import RefreshTokenPolicy, start_family

CODES = {
    AuthError: "auth_error",
    InvalidRequestError: "invalid_request",
    InvalidTokenError: "invalid_token",
    InvalidGrantError: "invalid_grant",
    RefreshTokenReuseError: "invalid_grant",
    InvalidCredentialsError: "invalid_credentials",
    WeakPasswordError: "weak_password",
    AccessDeniedError: "access_denied",
    ItemNotFoundError: "not_found",
    ThrottledError: "too_many_requests",
    EmailNotVerifiedError: "email_not_verified",
    InvalidCodeError: "invalid_code",
    AccountExistsError: "account_exists",
    SocialLoginError: "social_login_failed",
    UnsupportedGrantTypeError: "unsupported_grant_type",
    AuthenticationRequiredError: "unauthorized",
    AuthUnavailableError: "temporarily_unavailable",
    ModelDeclarationError: "invalid_model",
    UnsupportedMediaTypeError: "unsupported_media_type",
    SecretKeyError: "secret_key_error",
    InvalidMfaCodeError: "invalid_mfa_code",
    InvalidMfaTokenError: "invalid_mfa_token",
    MfaRequiredError: "mfa_required",
    PasskeyError: "passkey_failed",
}


@pytest.mark.parametrize(("error", "code"), CODES.items(), ids=[c.__name__ for c in CODES])
def test_codes_are_stable(error: type[AuthError], code: str) -> None:
    assert error.code == code
    assert issubclass(error, AuthError)


def test_every_public_error_is_in_the_table() -> None:
    public = {getattr(errors, name) for name in errors.__all__ if name.endswith("Error")}
    assert public == set(CODES)


def test_default_messages_are_fixed_text() -> None:
    assert InvalidTokenError().message == "The access token is invalid or has expired."
    assert str(InvalidCredentialsError()) == "Incorrect email or password."


def test_throttled_error_carries_at_least_one_second() -> None:
    assert ThrottledError(retry_after=0).retry_after == 1
    assert ThrottledError(retry_after=42).retry_after == 42


def test_reuse_error_is_an_invalid_grant_carrying_the_family() -> None:
    family, _ = start_family("user-1", now=0.0, policy=RefreshTokenPolicy())
    error = RefreshTokenReuseError(family)
    assert isinstance(error, InvalidGrantError)
    assert error.family is family
    assert "user-1" not in error.message
