"""Sign-in by email, and what a signed-in user does to their own account: change its
email, list and unlink identities, delete it; plus the admin's create, invite and forced
reset.

Every change here is a security change: it needs re-authentication and the second
factor when the account has one (:func:`baas.auth_routes.mfa.step_up`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.auth_methods import EMAIL
from auth.errors import InvalidRequestError
from auth.users import validate_groups
from baas.auth_routes.http import (
    accepted,
    acting_admin,
    address_of,
    bool_field,
    clear_refresh_cookie,
    current_user,
    read_body,
    user_agent_of,
)
from baas.auth_routes.mfa import sign_in_response, step_up

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["self_service_routes"]

_CODE_SENT = "If the address can receive mail, a code is on its way."
_NO_STORE = {"Cache-Control": "no-store"}


def self_service_routes(auth: AuthServices) -> list[BaseRoute]:
    def email_sign_in_on() -> None:
        if not auth.config.email_sign_in:
            raise InvalidRequestError("Sign-in by email is off here (BAAS_AUTH_EMAIL_SIGNIN).")

    async def send_sign_in_code(request: Request) -> Response:
        """``{"email", "create"?}`` -> 202, whatever the address (no enumeration)."""
        email_sign_in_on()
        body = await read_body(request)
        create = bool_field(body, "create") if "create" in body else True
        await auth.flows.passwordless.send_code(
            body.get("email"), address=address_of(request, auth), create=create
        )
        return accepted(_CODE_SENT)

    async def verify_sign_in_code(request: Request) -> Response:
        """``{"email", "code"}`` -> tokens (or the second factor's MFA token)."""
        email_sign_in_on()
        body = await read_body(request)
        bool_field(body, "cookie")
        user = await auth.flows.passwordless.verify(
            body.get("email"), body.get("code"), address=address_of(request, auth)
        )
        outcome = await auth.mfa.finish_sign_in(
            user, amr=(EMAIL,), method="email", user_agent=user_agent_of(request)
        )
        return sign_in_response(outcome, auth, body)

    async def reauthenticate(request: Request) -> Response:
        """Mail a code for a security change of an account without a password."""
        user = await current_user(request, auth)
        await auth.flows.passwordless.send_reauthentication(user)
        return accepted(_CODE_SENT)

    async def change_email(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        await step_up(request, auth, user, body)
        await auth.flows.email_change.request(
            user, body.get("new_email"), address=address_of(request, auth)
        )
        return accepted(_CODE_SENT)

    async def confirm_email(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        changed = await auth.flows.email_change.confirm(
            user, body.get("new_email"), body.get("code"), address=address_of(request, auth)
        )
        return JSONResponse(changed.public_view(), headers=_NO_STORE)

    async def identities(request: Request) -> Response:
        user = await current_user(request, auth)
        linked = await auth.flows.sign_in_methods.identities(user.user_id)
        return JSONResponse({"identities": [i.public_view() for i in linked]}, headers=_NO_STORE)

    async def unlink(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        await step_up(request, auth, user, body)
        await auth.flows.sign_in_methods.unlink(user, request.path_params["identity_id"])
        return Response(status_code=204)

    async def delete_account(request: Request) -> Response:
        """Delete the signed-in account (after re-authentication and the second factor):
        first the app's data as the app declared, then the account."""
        user = await current_user(request, auth)
        body = await read_body(request)
        await step_up(request, auth, user, body)
        if auth.user_data is not None:
            await auth.user_data.apply(user.user_id)
        await auth.flows.closing.close(user)
        policy = "keep" if auth.user_data is None else auth.user_data.policy
        auth.events.record("account_deleted", user_id=user.user_id, how=policy)
        if user.email is not None and user.email_verified:
            await auth.flows.passwordless.mail(user.email, "account_deleted", email=user.email)
        return clear_refresh_cookie(Response(status_code=204), auth)

    async def create_user(request: Request) -> Response:
        """An admin makes a verified account, with a password or without one."""
        actor = acting_admin(request, auth)
        body = await read_body(request)
        groups = validate_groups(body.get("groups", []))
        user = await auth.admin.create_user(
            body.get("email"), body.get("password"), groups, actor_id=actor
        )
        return JSONResponse(user.public_view(), status_code=201)

    async def invite(request: Request) -> Response:
        """An admin invites someone by email: the mail's code (or link) sets a password."""
        actor = acting_admin(request, auth)
        body = await read_body(request)
        groups = validate_groups(body.get("groups", []))
        user = await auth.flows.invitations.invite(body.get("email"), groups, actor_id=actor)
        return JSONResponse(user.public_view(), status_code=201)

    async def force_password_reset(request: Request) -> Response:
        actor = acting_admin(request, auth)
        user = await auth.admin.force_password_reset(
            request.path_params["user_id"], address=address_of(request, auth), actor_id=actor
        )
        return JSONResponse(user.public_view())

    return [
        Route("/auth/email/send", send_sign_in_code, methods=["POST"]),
        Route("/auth/email/verify", verify_sign_in_code, methods=["POST"]),
        Route("/auth/reauthenticate", reauthenticate, methods=["POST"]),
        Route("/auth/email/change", change_email, methods=["POST"]),
        Route("/auth/email/change/confirm", confirm_email, methods=["POST"]),
        Route("/auth/identities", identities, methods=["GET"]),
        Route("/auth/identities/{identity_id}/unlink", unlink, methods=["POST"]),
        Route("/auth/account/delete", delete_account, methods=["POST"]),
        Route("/auth/admin/users", create_user, methods=["POST"]),
        Route("/auth/admin/invitations", invite, methods=["POST"]),
        Route(
            "/auth/admin/users/{user_id}/force-password-reset",
            force_password_reset,
            methods=["POST"],
        ),
    ]
