"""Time-based one-time passwords (RFC 6238) for the second factor.

The parameters are the ones every authenticator app understands (Google Authenticator,
1Password, Aegis, …): HMAC-SHA-1, 6 digits, 30-second steps, a 160-bit secret (RFC 4226
§4 asks for at least 128 bits and recommends 160). The arithmetic is ``cryptography``'s
TOTP; this module adds what a verifier needs around it:

- **a window of one step either side** (RFC 6238 §5.2 allows "one time step delay"): a
  phone whose clock is up to 30 s off, or a code typed as it changes, still works;
- **the step that matched**, so the caller can refuse the same step twice. RFC 6238
  §5.2: "the verifier MUST NOT accept the second attempt of the same OTP after the
  successful validation has been issued" (threat: a code shoulder-surfed or phished in
  real time and replayed within its 90 s of life). The store keeps the last accepted
  step and accepts only a later one, with a conditional write (see
  :mod:`auth.mfa_store`).
"""

from __future__ import annotations

import base64
import hmac
import secrets
from urllib.parse import quote, urlencode

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

__all__ = [
    "DIGITS",
    "STEP",
    "base32_secret",
    "generate_secret",
    "matching_step",
    "otpauth_uri",
    "totp_code",
]

DIGITS = 6
STEP = 30  # seconds (RFC 6238 §5.2's recommended time step)
_SECRET_BYTES = 20  # 160 bits (RFC 4226 §4, R6)
_WINDOW = 1  # steps accepted either side of now


def generate_secret() -> bytes:
    """A fresh random TOTP secret."""
    return secrets.token_bytes(_SECRET_BYTES)


def base32_secret(secret: bytes) -> str:
    """The secret as authenticator apps take it typed in: base32, no padding."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def otpauth_uri(secret: bytes, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads from a QR code (the
    Key Uri Format of Google Authenticator, which every app follows)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": base32_secret(secret),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def totp_code(secret: bytes, at: float) -> str:
    """The code of the step holding ``at`` (epoch seconds)."""
    # SHA-1 is what RFC 6238 and every authenticator app use; HMAC-SHA-1 is not
    # weakened by SHA-1's collisions (RFC 6238 §5.1 / RFC 2104).
    totp = TOTP(secret, DIGITS, SHA1(), STEP, enforce_key_length=False)  # noqa: S303
    return totp.generate(int(at)).decode("ascii")


def matching_step(secret: bytes, code: object, now: float) -> int | None:
    """The time step (``now // 30`` ± 1) whose code ``code`` is, or None.

    Every candidate is compared (in constant time each) so the time taken does not say
    which step matched.
    """
    if not isinstance(code, str):
        return None
    presented = code.strip().replace(" ", "")
    if len(presented) != DIGITS or not presented.isascii() or not presented.isdigit():
        return None
    current = int(now // STEP)
    found = None
    for step in range(current - _WINDOW, current + _WINDOW + 1):
        if hmac.compare_digest(totp_code(secret, step * STEP), presented):
            found = step if found is None else max(found, step)
    return found
