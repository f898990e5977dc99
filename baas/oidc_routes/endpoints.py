"""The provider's endpoints for apps: discovery, token, userinfo, revocation.

Errors here are in the shape OAuth clients parse, ``{"error", "error_description"}``
(RFC 6749 §5.2), not the rest of the API's: 400, or 401 for a failed client
authentication (with ``WWW-Authenticate: Basic`` when the client used Basic, §5.2) and
for a bad access token at userinfo (RFC 6750 §3). Every refusal is recorded as an
``oauth_refused`` security event. Bodies are form-encoded (RFC 6749 §3.2).

Client authentication (RFC 6749 §2.3.1): ``client_secret_basic`` (HTTP Basic, id and
secret form-url-encoded first), ``client_secret_post`` (``client_id`` and
``client_secret`` in the body), or ``none`` for a public client (``client_id`` only) —
exactly one method per request.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from auth.errors import AuthError, InvalidRequestError, InvalidTokenError
from auth.oauth_clients import OAuthClient
from auth.oauth_errors import InvalidClientError
from baas.auth_routes.http import is_form, read_body
from baas.errors import BodyTooLargeError

if TYPE_CHECKING:
    from baas.auth_wiring import AuthServices

__all__ = ["SELF_AUTHENTICATING_PATHS", "endpoint_routes"]

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
USERINFO_PATH = "/oauth/userinfo"
REVOKE_PATH = "/oauth/revoke"
# They read Authorization themselves (see baas.authn).
SELF_AUTHENTICATING_PATHS = (TOKEN_PATH, USERINFO_PATH, REVOKE_PATH)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def endpoint_routes(auth: AuthServices) -> list[BaseRoute]:
    """Discovery, token, userinfo and revocation."""

    def oauth_error(
        exc: AuthError | BodyTooLargeError, endpoint: str, *, basic: bool = False
    ) -> Response:
        if isinstance(exc, BodyTooLargeError):  # 413, in the shape OAuth clients parse
            body = {"error": "invalid_request", "error_description": exc.message}
            return JSONResponse(body, status_code=413, headers=_NO_STORE)
        auth.events.record("oauth_refused", reason=exc.code, endpoint=endpoint)
        status, headers = 400, dict(_NO_STORE)
        if isinstance(exc, InvalidClientError):
            status = 401
            if basic:
                headers["WWW-Authenticate"] = 'Basic realm="baas"'
        if isinstance(exc, InvalidTokenError):
            status = 401
            headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        body = {"error": exc.code, "error_description": exc.message}
        return JSONResponse(body, status_code=status, headers=headers)

    async def client_form(request: Request) -> tuple[OAuthClient, dict[str, object]]:
        if not is_form(request):
            raise InvalidRequestError("Send the parameters form-encoded (RFC 6749 §3.2).")
        params = await read_body(request, allow_form=True)
        client_id, secret = params.pop("client_id", None), params.pop("client_secret", None)
        basic = _basic_credentials(request)
        if basic is not None:
            if secret is not None or (client_id is not None and client_id != basic[0]):
                raise InvalidRequestError("Use one client authentication method.")
            client_id, secret = basic
        return await auth.provider.clients.authenticate(client_id, secret), params

    async def discovery(_request: Request) -> Response:
        return JSONResponse(
            auth.provider.discovery(), headers={"Cache-Control": "public, max-age=300"}
        )

    async def token(request: Request) -> Response:
        try:
            client, params = await client_form(request)
            body = await auth.provider.token(client, params)
        except (AuthError, BodyTooLargeError) as exc:
            return oauth_error(exc, "token", basic=_basic_credentials(request) is not None)
        return JSONResponse(body, headers=_NO_STORE)

    async def revoke(request: Request) -> Response:
        try:
            client, params = await client_form(request)
            await auth.provider.revoke(client, params.get("token"))
        except (AuthError, BodyTooLargeError) as exc:
            return oauth_error(exc, "revoke", basic=_basic_credentials(request) is not None)
        return Response(status_code=200, headers=_NO_STORE)

    async def userinfo(request: Request) -> Response:
        scheme, _, access_token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer" or not access_token.strip():
                raise InvalidTokenError()
            info = await auth.provider.userinfo(access_token.strip())
        except AuthError as exc:
            return oauth_error(exc, "userinfo")
        return JSONResponse(info, headers=_NO_STORE)

    return [
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route(TOKEN_PATH, token, methods=["POST"]),
        Route(REVOKE_PATH, revoke, methods=["POST"]),
        Route(USERINFO_PATH, userinfo, methods=["GET", "POST"]),
    ]


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """``(client_id, secret)`` from ``Authorization: Basic`` (RFC 6749 §2.3.1: each
    form-url-encoded before base64), or None when the request has no Basic header."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")  # refused as an unknown client
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)
