"""The browser-bound state of one social-login round trip, in a signed cookie.

Between "start" (redirect to the provider) and "callback" (the provider redirects
back), we must remember the ``state``, the ``nonce`` and the PKCE ``code_verifier``
(RFC 6749 §10.12, OIDC Core §3.1.2.1, RFC 7636 §4.1), and bind them to *this* browser:
they go into a short-lived cookie, HMAC-signed with a server secret so the browser
cannot alter it. A callback whose ``state`` does not match the cookie's is refused
(threat: login CSRF — an attacker's authorization code injected into the victim's
browser, RFC 9700 §4.7); a token whose ``nonce`` does not match is refused (threat:
ID-token replay and code injection, RFC 9700 §4.5).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field

from auth.errors import SocialLoginError

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


def seal_state(flow: FlowState, key: bytes) -> str:
    """The cookie value: base64url(JSON) "." base64url(HMAC-SHA256)."""
    body = _b64(json.dumps(asdict(flow), separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(key, body))}"


def open_state(cookie: str | None, key: bytes, *, provider: str, state: object) -> FlowState:
    """The flow of a callback, or ``SocialLoginError`` if anything does not match."""
    if not cookie or not isinstance(state, str) or cookie.count(".") != 1:
        raise SocialLoginError()
    body, mac = cookie.split(".")
    try:
        expected = _mac(key, body)
        if not hmac.compare_digest(_unb64(mac), expected):
            raise SocialLoginError()
        data = json.loads(_unb64(body))
        flow = FlowState(**data)
    except (ValueError, TypeError):
        raise SocialLoginError() from None
    if flow.provider != provider or flow.expires_at < time.time():
        raise SocialLoginError()
    if not hmac.compare_digest(flow.state.encode(), state.encode()):
        raise SocialLoginError()
    return flow


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, b"baas-oauth-state\x00" + body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
