"""The token endpoint (refresh, RFC 6749 §6) and the public keys (JWKS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.errors import InvalidRequestError, UnsupportedGrantTypeError, UnsupportedMediaTypeError
from baas.auth_routes.http import is_form, read_body, refresh_cookie_of, token_response

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["token_routes"]


def token_routes(auth: AuthServices) -> list[BaseRoute]:
    async def token(request: Request) -> Response:
        """``grant_type=refresh_token``: rotate the refresh token, sign an access token.

        The refresh token comes from the body (form or JSON) or, for browser apps, from
        the refresh cookie — and then the new one goes back in the cookie. A form post
        must carry its token: one that relies on the cookie is what a cross-site page
        could send (threat: CSRF), so that takes JSON only.
        """
        body = await read_body(request, allow_form=True)
        grant_type = body.get("grant_type")
        if grant_type is None:
            raise InvalidRequestError("grant_type is required.")
        if grant_type != "refresh_token":
            raise UnsupportedGrantTypeError()
        presented = body.get("refresh_token")
        cookie = refresh_cookie_of(request, auth)
        from_cookie = presented is None and cookie is not None
        if from_cookie:
            if is_form(request):
                raise UnsupportedMediaTypeError()
            presented = cookie
        if not presented:
            raise InvalidRequestError("refresh_token is required.")
        tokens = await auth.accounts.refresh(presented)
        return token_response(tokens, auth, use_cookie=from_cookie)

    async def jwks(_request: Request) -> Response:
        # Public keys only; short caching so a rotation is seen within minutes.
        return JSONResponse(
            auth.keyring.public_jwks(), headers={"Cache-Control": "public, max-age=300"}
        )

    return [
        Route("/auth/token", token, methods=["POST"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    ]
