"""Helpers of the second-factor tests: an authenticator app, and reading token claims."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from auth.totp import STEP, totp_code
from tests.integration.auth.auth_server import PASSWORD, AuthServer


@dataclass
class AuthenticatorApp:
    """What a phone's authenticator app holds after scanning the enrolment's QR code.

    Each code it gives is of a step later than the last one it gave (the server accepts
    a step once, and only after the last accepted one), within the server's window of
    one step either side of now. Near a step's end it waits (at most 3 s) for the next
    step, so a slow request cannot carry a code out of the window.
    """

    secret: bytes
    last_step: int | None = None

    @classmethod
    def from_enrolment(cls, answer: dict[str, Any]) -> AuthenticatorApp:
        secret = str(answer["secret"])
        return cls(base64.b32decode(secret + "=" * (-len(secret) % 8)))

    def code(self) -> str:
        now = time.time()
        if STEP - now % STEP < 3:
            time.sleep(STEP - now % STEP + 0.1)
            now = time.time()
        current = int(now // STEP)
        step = current - 1 if self.last_step is None else max(self.last_step + 1, current - 1)
        assert step <= current + 1, "more codes asked for than the window holds"
        self.last_step = step
        return totp_code(self.secret, step * STEP)

    def wrong_code(self) -> str:
        """A well-formed code of no step in the window."""
        right = {
            totp_code(self.secret, (int(time.time() // STEP) + k) * STEP) for k in (-2, -1, 0, 1, 2)
        }
        return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in right)


def claims_of(access_token: object) -> dict[str, Any]:
    """The payload of a JWT (already verified by the server that issued it)."""
    payload = str(access_token).split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def enrol_totp(
    server: AuthServer,
    access: str,
    password: str = PASSWORD,
    *,
    reauthentication: dict[str, str] | None = None,
) -> tuple[AuthenticatorApp, list[str]]:
    """Set up an authenticator for the signed-in user; the app and the recovery codes.
    The user re-authenticates with ``password``, or ``reauthentication`` when given."""
    proof = reauthentication if reauthentication is not None else {"password": password}
    started = server.post("/auth/mfa/totp/enrol", proof, token=access)
    assert started.status_code == 200, started.text
    app = AuthenticatorApp.from_enrolment(started.json())
    confirmed = server.post("/auth/mfa/totp/confirm", {"code": app.code()}, token=access)
    assert confirmed.status_code == 200, confirmed.text
    return app, list(confirmed.json()["recovery_codes"])


def enrol_totp_by_email(
    server: AuthServer, access: str, address: str
) -> tuple[AuthenticatorApp, list[str]]:
    """:func:`enrol_totp` for an account without a password (a social login's): it
    re-authenticates with a code mailed to ``address``, read from the dev outbox."""
    assert server.post("/auth/reauthenticate", {}, token=access).status_code == 202
    code = server.code_for(address, "Confirm a change")
    return enrol_totp(server, access, reauthentication={"email_code": code})


def mfa_token(server: AuthServer, address: str, password: str = PASSWORD) -> str:
    """The MFA token a correct password gets on an account with a second factor."""
    answer = server.post("/auth/signin", {"email": address, "password": password})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["mfa_required"] is True, body
    assert "access_token" not in body
    return str(body["mfa_token"])
