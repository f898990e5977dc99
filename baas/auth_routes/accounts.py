"""``/auth`` routes of email-and-password accounts and anonymous users.

Answers that must not reveal whether an email has an account (sign-up, resend,
forgot-password, upgrade) are all ``202`` with the same body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.auth_methods import PASSWORD
from auth.errors import InvalidRequestError
from baas.auth_routes.http import (
    accepted,
    address_of,
    bool_field,
    clear_refresh_cookie,
    current_user,
    read_body,
    refresh_cookie_of,
    token_response,
    user_agent_of,
)
from baas.auth_routes.mfa import sign_in_response

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["account_routes"]

_CODE_SENT = "If the address can receive mail, a code is on its way."


def account_routes(auth: AuthServices) -> list[BaseRoute]:
    """Sign-up, verification, sign-in/out, passwords, anonymous users, ``/auth/me``."""

    async def signup(request: Request) -> Response:
        body = await read_body(request)
        await auth.accounts.sign_up(
            body.get("email"), body.get("password"), address=address_of(request, auth)
        )
        return accepted(_CODE_SENT)

    async def verify_email(request: Request) -> Response:
        body = await read_body(request)
        user = await auth.accounts.verify_email(
            body.get("email"),
            body.get("code"),
            body.get("password"),
            address=address_of(request, auth),
        )
        return JSONResponse({"email_verified": True, "user": user.public_view()})

    async def resend_verification(request: Request) -> Response:
        body = await read_body(request)
        await auth.accounts.resend_verification(
            body.get("email"), address=address_of(request, auth)
        )
        return accepted(_CODE_SENT)

    async def signin(request: Request) -> Response:
        body = await read_body(request)
        bool_field(body, "cookie")  # a malformed field is refused before any work
        user = await auth.accounts.authenticate_password(
            body.get("email"), body.get("password"), address=address_of(request, auth)
        )
        outcome = await auth.mfa.finish_sign_in(
            user, amr=(PASSWORD,), method="password", user_agent=user_agent_of(request)
        )
        return sign_in_response(outcome, auth, body)

    async def signout(request: Request) -> Response:
        """End the session of a refresh token (body or cookie): 204 once it has ended,
        ``invalid_grant`` when the token ends nothing (see ``SessionService.end``)."""
        body = await read_body(request)
        token = body.get("refresh_token") or refresh_cookie_of(request, auth)
        if not token:
            raise InvalidRequestError("refresh_token is required.")
        await auth.accounts.grants.sessions.end(token)
        return clear_refresh_cookie(Response(status_code=204), auth)

    async def signout_all(request: Request) -> Response:
        user = await current_user(request, auth)
        await auth.accounts.sign_out_everywhere(user)
        return clear_refresh_cookie(Response(status_code=204), auth)

    async def me(request: Request) -> Response:
        user = await current_user(request, auth)
        identities = await auth.social.identities_of(user.user_id)
        return JSONResponse(
            {**user.public_view(), "identities": [i.public_view() for i in identities]},
            headers={"Cache-Control": "no-store"},
        )

    async def forgot_password(request: Request) -> Response:
        body = await read_body(request)
        await auth.accounts.forgot_password(body.get("email"), address=address_of(request, auth))
        return accepted(_CODE_SENT)

    async def reset_password(request: Request) -> Response:
        body = await read_body(request)
        await auth.accounts.reset_password(
            body.get("email"),
            body.get("code"),
            body.get("new_password"),
            address=address_of(request, auth),
        )
        return Response(status_code=204)

    async def change_password(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        address = address_of(request, auth)
        stepped_up = await auth.mfa.step_up(user, body.get("mfa_code"), address=address)
        tokens = await auth.accounts.change_password(
            user,
            body.get("current_password"),
            body.get("new_password"),
            address=address,
            user_agent=user_agent_of(request),
            amr=(PASSWORD, *stepped_up),
        )
        return token_response(tokens, auth, use_cookie=bool_field(body, "cookie"))

    async def anonymous(request: Request) -> Response:
        body = await read_body(request)
        tokens = await auth.accounts.create_anonymous(
            address=address_of(request, auth), user_agent=user_agent_of(request)
        )
        return token_response(tokens, auth, use_cookie=bool_field(body, "cookie"), status=201)

    async def upgrade(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        await auth.accounts.upgrade(
            user, body.get("email"), body.get("password"), address=address_of(request, auth)
        )
        return accepted(_CODE_SENT)

    return [
        Route("/auth/signup", signup, methods=["POST"]),
        Route("/auth/verify-email", verify_email, methods=["POST"]),
        Route("/auth/verify-email/resend", resend_verification, methods=["POST"]),
        Route("/auth/signin", signin, methods=["POST"]),
        Route("/auth/signout", signout, methods=["POST"]),
        Route("/auth/signout-all", signout_all, methods=["POST"]),
        Route("/auth/me", me, methods=["GET"]),
        Route("/auth/password/forgot", forgot_password, methods=["POST"]),
        Route("/auth/password/reset", reset_password, methods=["POST"]),
        Route("/auth/password/change", change_password, methods=["POST"]),
        Route("/auth/anonymous", anonymous, methods=["POST"]),
        Route("/auth/upgrade", upgrade, methods=["POST"]),
    ]
