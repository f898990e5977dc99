"""How a sign-in was proven: the ``amr`` values of access tokens (RFC 8176 §2).

A session remembers the methods of the sign-in that started it, and every access token
of the session says them (``amr``) with the assurance level they reach (``aal``, see
:func:`auth.tokens.aal_of`). RFC 8176 registers ``pwd``, ``otp``, ``hwk``, ``user`` and
``mfa``; ``email`` (a code or link sent by mail) and ``fed`` (a social provider) are
ours, as the RFC allows.
"""

from __future__ import annotations

__all__ = ["EMAIL", "FEDERATED", "MFA", "OTP", "PASSKEY", "PASSWORD", "USER_VERIFIED"]

PASSWORD = "pwd"  # noqa: S105 - a method name, not a secret
OTP = "otp"  # a TOTP code or a recovery code
MFA = "mfa"  # two factors were proven
PASSKEY = "hwk"  # proof of possession of a key held by an authenticator
USER_VERIFIED = "user"  # the authenticator verified the user (PIN, biometric)
EMAIL = "email"  # a one-time code or link sent to the verified address
FEDERATED = "fed"  # a social-login provider vouched for the user
