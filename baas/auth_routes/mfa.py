"""``/auth/mfa``: second factors over HTTP — the second sign-in step, TOTP enrolment and
removal, recovery codes, and the admin's reset.

A security change here needs the account's password (re-authentication, when it has
one) *and* its second factor when it has one (``mfa_code``: a TOTP or recovery code);
see :mod:`auth.mfa`. The enrolment answer carries the ``otpauth://`` URI and the same as
a QR code (an SVG ``data:`` URI, made here with the pure-Python ``segno``), so an app
can show it in an ``<img>`` without a QR library of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import segno
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.auth_methods import MFA, PASSKEY
from auth.errors import InvalidRequestError, MfaRequiredError
from auth.mfa import PendingSignIn
from auth.users import User
from baas.auth_routes.http import (
    acting_admin,
    address_of,
    bool_field,
    current_user,
    read_body,
    token_response,
    user_agent_of,
)

if TYPE_CHECKING:
    from auth.token_grants import IssuedTokens
    from baas.auth_wiring import AuthServices

__all__ = ["mfa_routes", "sign_in_response", "step_up"]

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def sign_in_response(
    outcome: IssuedTokens | PendingSignIn, auth: AuthServices, body: dict[str, object]
) -> Response:
    """Tokens, or (``200`` too) the MFA token that asks for the second factor."""
    if isinstance(outcome, PendingSignIn):
        return JSONResponse(outcome.public_view(), headers=_NO_STORE)
    return token_response(outcome, auth, use_cookie=bool_field(body, "cookie"))


async def step_up(
    request: Request, auth: AuthServices, user: User, body: dict[str, object]
) -> tuple[str, ...]:
    """Re-authentication and the second factor (when the account has one) before a
    security change; the ``amr`` the factor adds.

    Re-authentication is the password; for an account without one, a code mailed by
    ``POST /auth/reauthenticate`` (``email_code``); an account with neither (anonymous,
    or a social login without an email) has only its session to show.
    """
    address = address_of(request, auth)
    if user.password_hash is not None:
        await auth.accounts.check_current_password(user, body.get("password"), address=address)
    elif user.email is not None and user.email_verified:
        await auth.flows.passwordless.check_reauthentication(
            user, body.get("email_code"), address=address
        )
    passkey = body.get("passkey")
    if passkey is not None:
        return await _passkey_step_up(auth, user, passkey)
    return await auth.mfa.step_up(user, body.get("mfa_code"), address=address)


async def _passkey_step_up(auth: AuthServices, user: User, passkey: object) -> tuple[str, ...]:
    """The second factor as a passkey assertion: ``{"flow", "credential"}`` from
    ``POST /auth/passkeys/authenticate/options`` made while signed in."""
    if not isinstance(passkey, dict):
        raise InvalidRequestError('\'passkey\' is {"flow", "credential"}.')
    use = await auth.flows.passkeys.authenticate(passkey.get("flow"), passkey.get("credential"))
    if use.passwordless or use.user_id != user.user_id:
        raise MfaRequiredError()
    auth.events.record("mfa_verified", user_id=user.user_id, factor="passkey", purpose="step_up")
    return (PASSKEY, MFA)


def mfa_routes(auth: AuthServices) -> list[BaseRoute]:
    async def verify(request: Request) -> Response:
        """The second sign-in step: ``{"mfa_token", "code"}`` -> tokens."""
        body = await read_body(request)
        tokens = await auth.mfa.complete_sign_in(
            body.get("mfa_token"),
            body.get("code"),
            address=address_of(request, auth),
            user_agent=user_agent_of(request),
        )
        return token_response(tokens, auth, use_cookie=bool_field(body, "cookie"))

    async def status(request: Request) -> Response:
        user = await current_user(request, auth)
        return JSONResponse(await auth.mfa.status(user.user_id), headers=_NO_STORE)

    async def enrol_totp(request: Request) -> Response:
        """Start setting up an authenticator: signed in (after re-authentication), or
        with the MFA token of a sign-in that policy requires to enrol."""
        body = await read_body(request)
        if "mfa_token" in body:
            _, user = await auth.mfa.pending(body.get("mfa_token"), "enrol")
        else:
            user = await current_user(request, auth)
            await step_up(request, auth, user, body)
        enrolment = await auth.mfa.begin_totp(user)
        qr = segno.make_qr(enrolment.otpauth_uri, error="m").svg_data_uri(scale=4)
        return JSONResponse(
            {"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri, "qr_svg": qr},
            headers=_NO_STORE,
        )

    async def confirm_totp(request: Request) -> Response:
        """A code from the new authenticator activates it; the answer has the recovery
        codes (shown once) and, when enrolling during a sign-in, the session's tokens."""
        body = await read_body(request)
        address = address_of(request, auth)
        if "mfa_token" in body:
            tokens, codes = await auth.mfa.confirm_enrolment(
                body.get("mfa_token"),
                body.get("code"),
                address=address,
                user_agent=user_agent_of(request),
            )
            return token_response(
                tokens,
                auth,
                use_cookie=bool_field(body, "cookie"),
                extra={"recovery_codes": list(codes)},
            )
        user = await current_user(request, auth)
        codes = await auth.mfa.confirm_totp(user, body.get("code"), address=address)
        return JSONResponse({"recovery_codes": list(codes)}, headers=_NO_STORE)

    async def remove_totp(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        await step_up(request, auth, user, body)
        await auth.mfa.remove_totp(user)
        return Response(status_code=204)

    async def recovery_codes(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        await step_up(request, auth, user, body)
        codes = await auth.mfa.new_recovery_codes(user)
        return JSONResponse({"recovery_codes": list(codes)}, headers=_NO_STORE)

    async def admin_reset(request: Request) -> Response:
        """An admin removes every second factor of a user (a lost phone): their sessions
        end, and their next sign-in sets one up again if policy requires it. Never when
        the passkeys are the account's last ways in (:mod:`auth.sign_in_methods`)."""
        actor = acting_admin(request, auth)
        user = await auth.admin.get_user(request.path_params["user_id"])
        await auth.flows.passkeys.remove_all(user)  # first: refused if they are the last way in
        await auth.mfa.forget(user.user_id)
        await auth.admin.end_sessions(user.user_id, actor_id=actor)
        auth.events.record(
            "admin_action", user_id=user.user_id, actor_id=actor, action="reset_mfa", via="api"
        )
        return Response(status_code=204)

    return [
        Route("/auth/mfa", status, methods=["GET"]),
        Route("/auth/mfa/verify", verify, methods=["POST"]),
        Route("/auth/mfa/totp/enrol", enrol_totp, methods=["POST"]),
        Route("/auth/mfa/totp/confirm", confirm_totp, methods=["POST"]),
        Route("/auth/mfa/totp/remove", remove_totp, methods=["POST"]),
        Route("/auth/mfa/recovery-codes", recovery_codes, methods=["POST"]),
        Route("/auth/admin/users/{user_id}/mfa", admin_reset, methods=["DELETE"]),
    ]
