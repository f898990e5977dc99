"""The browser-bound state of one social-login round trip, in an encrypted cookie.

Between "start" (redirect to the provider) and "callback" (the provider redirects
back), we must remember the ``state``, the ``nonce`` and the PKCE ``code_verifier``
(RFC 6749 §10.12, OIDC Core §3.1.2.1, RFC 7636 §4.1), and bind them to *this* browser:
they go into a short-lived cookie, encrypted with AES-256-GCM under a key derived from
the secret key, so the browser can neither read nor alter it (threat: the PKCE verifier
and nonce readable by whatever can read the cookie jar). A callback whose ``state``
does not match the cookie's is refused (threat: login CSRF — an attacker's
authorization code injected into the victim's browser, RFC 9700 §4.7); a token whose
``nonce`` does not match is refused (threat: ID-token replay and code injection, RFC
9700 §4.5). The cookie is single-use: :class:`auth.social.SocialLogin` records each
state it accepts (threat: a copied cookie and callback URL replayed).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from auth.errors import SocialLoginError
from auth.secret_keys import decrypt, encrypt

__all__ = ["FlowState", "open_state", "seal_state"]

STATE_LIFETIME = 600  # seconds: the user has 10 minutes at the provider's login page


@dataclass(frozen=True, slots=True)
class FlowState:
    """What the callback needs; ``link_user_id`` is set when linking to an account."""

    provider: str
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)  # threat: the PKCE secret in logs
    expires_at: int
    link_user_id: str | None = None

    @classmethod
    def new(cls, provider: str, *, link_user_id: str | None = None) -> FlowState:
        return cls(
            provider=provider,
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            # RFC 7636 §4.1: 43-128 characters of unreserved; 32 random bytes → 43.
            code_verifier=secrets.token_urlsafe(48),
            expires_at=int(time.time()) + STATE_LIFETIME,
            link_user_id=link_user_id,
        )


def seal_state(flow: FlowState, keys: Sequence[bytes]) -> str:
    """The cookie value: base64url(nonce || AES-GCM ciphertext of the JSON || tag)."""
    body = json.dumps(asdict(flow), separators=(",", ":")).encode()
    return _b64(encrypt(keys[0], body, _PURPOSE))


def open_state(
    cookie: str | None, keys: Sequence[bytes], *, provider: str, state: object
) -> FlowState:
    """The flow of a callback, or ``SocialLoginError`` if anything does not match.

    ``keys``: the current key first, then former ones (a rotation of the secret key
    does not break a sign-in under way).
    """
    if not cookie or not isinstance(state, str):
        raise SocialLoginError()
    try:
        body = decrypt(keys, _unb64(cookie), _PURPOSE)
        if body is None:
            raise SocialLoginError()
        flow = FlowState(**json.loads(body))
    except (ValueError, TypeError, binascii.Error):
        raise SocialLoginError() from None
    if flow.provider != provider or flow.expires_at < time.time():
        raise SocialLoginError()
    if not hmac.compare_digest(flow.state.encode(), state.encode()):
        raise SocialLoginError()
    return flow


_PURPOSE = b"baas-oauth-state-v2"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
