"""``/auth/passkeys``: registering, listing and removing passkeys, and signing in with
one — passwordless, or as the second step after a first factor.

Each ceremony is *options* then *answer*: the options are what the page passes to
``navigator.credentials.create`` / ``.get`` (WebAuthn's JSON form, binary values in
base64url), with a ``flow`` token to send back beside the authenticator's answer
(``credential``: the ``PublicKeyCredential`` in its JSON form, as ``toJSON()`` gives).

Admins see a user's passkeys (names and dates, never a key) and remove one (a lost
security key) under ``/auth/admin/users/{user_id}/passkeys``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.auth_methods import MFA, PASSKEY, USER_VERIFIED
from auth.errors import InvalidCredentialsError, PasskeyError
from baas.auth_routes.http import (
    acting_admin,
    bool_field,
    current_user,
    read_body,
    token_response,
    user_agent_of,
)
from baas.auth_routes.mfa import step_up
from baas.authn import caller_of

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["passkey_routes"]

_NO_STORE = {"Cache-Control": "no-store"}


def passkey_routes(auth: AuthServices) -> list[BaseRoute]:
    async def register_options(request: Request) -> Response:
        """A passkey is a new way in: re-authentication (and the second factor) first."""
        user = await current_user(request, auth)
        body = await read_body(request)
        await step_up(request, auth, user, body)
        options, flow = await auth.flows.passkeys.registration_options(user)
        return JSONResponse({"options": options, "flow": flow}, headers=_NO_STORE)

    async def register(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        passkey = await auth.flows.passkeys.register(
            user, body.get("flow"), body.get("credential"), body.get("name")
        )
        codes = await auth.mfa.first_recovery_codes(user.user_id)
        return JSONResponse(
            {"passkey": passkey.public_view(), "recovery_codes": list(codes)},
            status_code=201,
            headers=_NO_STORE,
        )

    async def list_passkeys(request: Request) -> Response:
        user = await current_user(request, auth)
        passkeys = await auth.flows.passkeys.repository.of_user(user.user_id)
        return JSONResponse({"passkeys": [p.public_view() for p in passkeys]}, headers=_NO_STORE)

    async def remove(request: Request) -> Response:
        user = await current_user(request, auth)
        body = await read_body(request)
        await step_up(request, auth, user, body)
        await auth.flows.passkeys.remove(user, request.path_params["credential_id"])
        await auth.mfa.drop_recovery_codes_if_unguarded(user.user_id)
        return Response(status_code=204)

    async def admin_list(request: Request) -> Response:
        acting_admin(request, auth)
        user = await auth.admin.get_user(request.path_params["user_id"])
        passkeys = await auth.flows.passkeys.repository.of_user(user.user_id)
        return JSONResponse({"passkeys": [p.public_view() for p in passkeys]}, headers=_NO_STORE)

    async def admin_remove(request: Request) -> Response:
        """An admin removes one passkey (never the user's last way in); the user's
        sessions end, as after an MFA reset: whoever holds the lost key may hold one."""
        actor = acting_admin(request, auth)
        user = await auth.admin.get_user(request.path_params["user_id"])
        await auth.flows.passkeys.remove(user, request.path_params["credential_id"])
        await auth.mfa.drop_recovery_codes_if_unguarded(user.user_id)
        await auth.admin.end_sessions(user.user_id, actor_id=actor)
        auth.events.record(
            "admin_action", user_id=user.user_id, actor_id=actor, action="remove_passkey", via="api"
        )
        return Response(status_code=204)

    async def authenticate_options(request: Request) -> Response:
        """With ``mfa_token``: the second step of a sign-in; signed in: a step-up;
        neither: a passwordless sign-in (any passkey of this site)."""
        body = await read_body(request)
        user_id: str | None = None
        if "mfa_token" in body:
            _, user = await auth.mfa.pending(body.get("mfa_token"), "mfa")
            user_id = user.user_id
        elif caller_of(request.scope).user_id is not None:
            user_id = (await current_user(request, auth)).user_id
        options, flow = await auth.flows.passkeys.authentication_options(user_id)
        return JSONResponse({"options": options, "flow": flow}, headers=_NO_STORE)

    async def authenticate(request: Request) -> Response:
        body = await read_body(request)
        use_cookie = bool_field(body, "cookie")
        use = await auth.flows.passkeys.authenticate(body.get("flow"), body.get("credential"))
        if "mfa_token" in body:
            tokens = await auth.mfa.complete_with_passkey(
                body.get("mfa_token"), use.user_id, user_agent=user_agent_of(request)
            )
            return token_response(tokens, auth, use_cookie=use_cookie)
        if not use.passwordless:
            raise PasskeyError()  # a step-up's or second step's assertion signs nobody in
        user = await auth.accounts.users.get(use.user_id)
        if user is None or not user.enabled:
            auth.events.record("sign_in_failed", user_id=use.user_id, reason="disabled")
            raise InvalidCredentialsError("This account cannot sign in.")
        auth.events.record("sign_in_succeeded", user_id=user.user_id, method="passkey")
        tokens = await auth.accounts.grants.new_session(
            user, user_agent=user_agent_of(request), amr=(PASSKEY, USER_VERIFIED, MFA)
        )
        return token_response(tokens, auth, use_cookie=use_cookie)

    return [
        Route("/auth/passkeys", list_passkeys, methods=["GET"]),
        Route("/auth/passkeys/register/options", register_options, methods=["POST"]),
        Route("/auth/passkeys/register", register, methods=["POST"]),
        Route("/auth/passkeys/{credential_id}/remove", remove, methods=["POST"]),
        Route("/auth/passkeys/authenticate/options", authenticate_options, methods=["POST"]),
        Route("/auth/passkeys/authenticate", authenticate, methods=["POST"]),
        Route("/auth/admin/users/{user_id}/passkeys", admin_list, methods=["GET"]),
        Route(
            "/auth/admin/users/{user_id}/passkeys/{credential_id}",
            admin_remove,
            methods=["DELETE"],
        ),
    ]
