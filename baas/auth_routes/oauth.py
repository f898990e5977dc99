"""Social login over HTTP: start, callback, and linking a provider to an account.

The round trip's state lives in the ``baas_oauth`` cookie (encrypted, single-use,
``HttpOnly``, ``Secure``, 10 minutes, scoped to ``/auth/oauth``). It is ``SameSite=Lax``, not
``Strict``: the callback is a top-level navigation *from the provider's site*, on
which a Strict cookie would not be sent; Lax still keeps it off cross-site
sub-requests and POSTs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from auth.auth_methods import FEDERATED
from auth.errors import InvalidRequestError
from auth.mfa import PendingSignIn
from auth.social_state import STATE_LIFETIME
from baas.auth_routes.http import current_user, read_body, token_response, user_agent_of
from baas.auth_routes.mfa import step_up

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["oauth_routes"]

STATE_COOKIE = "baas_oauth"
_STATE_COOKIE_PATH = "/auth/oauth"


def _set_state(response: Response, value: str) -> Response:
    response.set_cookie(
        STATE_COOKIE,
        value,
        max_age=STATE_LIFETIME,
        path=_STATE_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


def _fragment_of(pending: PendingSignIn) -> str:
    """The MFA step of a social sign-in for the app's page, as the fragment of its URL:
    what ``POST /auth/signin`` answers in JSON (the token, the factors the account can
    complete it with, whether it must enrol one first, the token's lifetime), flattened."""
    return urlencode(
        {
            "mfa_token": pending.mfa_token,
            "factors": ",".join(pending.factors),
            "enrol": "true" if pending.enrol else "false",
            "expires_in": str(pending.expires_in),
        }
    )


def oauth_routes(auth: AuthServices) -> list[BaseRoute]:
    async def providers(_request: Request) -> Response:
        return JSONResponse({"providers": auth.social.provider_names})

    async def start(request: Request) -> Response:
        url, cookie = await auth.social.begin(request.path_params["provider"])
        return _set_state(RedirectResponse(url, status_code=302), cookie)

    async def link(request: Request) -> Response:
        """Begin linking a provider to the signed-in account; the client then opens
        ``authorization_url`` in the browser (same cookie jar as this request).

        A new way in, so re-authentication (and the second factor) first, as for a
        passkey (threat: a stolen access token linking the thief's own provider account,
        a way in that outlives the token)."""
        user = await current_user(request, auth)
        await step_up(request, auth, user, await read_body(request))
        url, cookie = await auth.social.begin(
            request.path_params["provider"], link_user_id=user.user_id
        )
        return _set_state(JSONResponse({"authorization_url": url}), cookie)

    async def callback(request: Request) -> Response:
        items = request.query_params.multi_items()
        params = dict(items)
        if len(params) != len(items):  # RFC 6749 §3.1: no parameter more than once
            raise InvalidRequestError("A query parameter is repeated.")
        provider = request.path_params["provider"]
        outcome = await auth.social.complete(
            provider, cookie=request.cookies.get(STATE_COOKIE), params=params
        )
        response: Response
        signed_in = None
        if outcome.signed_in is not None:
            signed_in = await auth.mfa.finish_sign_in(
                outcome.signed_in,
                amr=(FEDERATED,),
                method=provider,
                user_agent=user_agent_of(request),
            )
        if signed_in is None:
            linked = outcome.linked.public_view() if outcome.linked else None
            response = JSONResponse({"linked": linked})
        elif isinstance(signed_in, PendingSignIn):
            # The account has a second factor: its MFA token (no credential by itself:
            # it needs the code too) goes to the app in the fragment, kept out of logs.
            if auth.config.oauth_redirect is None:
                response = JSONResponse(
                    signed_in.public_view(), headers={"Cache-Control": "no-store"}
                )
            else:
                target = f"{auth.config.oauth_redirect}#{_fragment_of(signed_in)}"
                response = RedirectResponse(target, status_code=303)
        elif auth.config.oauth_redirect is not None:
            # Browser apps: the refresh token in its cookie, no token in any URL.
            response = token_response(signed_in, auth, use_cookie=True)
            redirect = RedirectResponse(auth.config.oauth_redirect, status_code=303)
            for name, value in response.headers.items():
                if name == "set-cookie":
                    redirect.headers.append(name, value)
            response = redirect
        else:
            response = token_response(signed_in, auth, use_cookie=False)
        # Single use: the state cookie is spent either way.
        response.delete_cookie(STATE_COOKIE, path=_STATE_COOKIE_PATH, secure=True, httponly=True)
        return response

    return [
        Route("/auth/oauth/providers", providers, methods=["GET"]),
        Route("/auth/oauth/{provider}/start", start, methods=["GET"]),
        Route("/auth/oauth/{provider}/callback", callback, methods=["GET"]),
        Route("/auth/link/{provider}", link, methods=["POST"]),
    ]
