"""Request and response helpers shared by the ``/auth`` routes.

Bodies are JSON objects sent as ``application/json`` (the token endpoint also takes
the form encoding of RFC 6749 §4.1.3), at most 16 KiB (threat: memory exhaustion by
large bodies: reading stops at the limit, chunked or not, with a 413; see
:mod:`baas.request_bodies`). Any other content type is ``415``: a cross-site page can
post a form or ``text/plain`` without a CORS preflight, never JSON (threat: login
CSRF). Token responses are never cached (RFC 6749 §5.1).

The refresh token can travel in a cookie for browser apps: ``HttpOnly`` (out of reach
of injected scripts), ``Secure``, ``SameSite=Strict`` (never sent on cross-site
requests, threat: CSRF). When ``BAAS_PUBLIC_URL`` is https it is
``__Host-baas_refresh`` with ``Path=/``: the prefix makes browsers refuse the cookie
from anything but this host over TLS, so a sibling subdomain cannot plant its own
(threat: session fixation by cookie tossing). Over plain http (dev) the prefix is not
allowed; it is ``baas_refresh``, scoped to ``/auth``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth.client_addresses import client_address
from auth.errors import (
    AccessDeniedError,
    AuthenticationRequiredError,
    InvalidRequestError,
    InvalidTokenError,
    UnsupportedMediaTypeError,
)
from auth.rules import Caller, CallerKind
from auth.users import User
from baas.authn import caller_of
from baas.json_bodies import loads
from baas.request_bodies import read_body as read_limited

if TYPE_CHECKING:
    from auth.token_grants import IssuedTokens
    from baas.auth_wiring import AuthServices

__all__ = [
    "acting_admin",
    "address_of",
    "bool_field",
    "clear_refresh_cookie",
    "current_user",
    "is_form",
    "read_body",
    "refresh_cookie_of",
    "require_admin",
    "token_response",
    "user_agent_of",
]

_REFRESH_COOKIE = "baas_refresh"
_FORM = "application/x-www-form-urlencoded"
_MAX_BODY = 16 * 1024
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def read_body(request: Request, *, allow_form: bool = False) -> dict[str, object]:
    """The request's JSON object (or form fields when ``allow_form``).

    BodyTooLargeError (413) past 16 KiB; UnsupportedMediaTypeError (415) for a body
    that is neither JSON nor an allowed form; InvalidRequestError when it is not an object.
    """
    raw = await read_limited(request.scope, request.receive, _MAX_BODY)
    content_type = _content_type(request)
    if allow_form and content_type == _FORM:
        try:
            pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            raise InvalidRequestError("The form body is malformed.") from None
        fields: dict[str, object] = dict(pairs)
        if len(fields) != len(pairs):  # RFC 6749 §3.2: no parameter more than once
            raise InvalidRequestError("A parameter is repeated.")
        return fields
    if not raw:
        return {}
    if content_type != "application/json":
        raise UnsupportedMediaTypeError()
    try:
        body = loads(raw)
    except ValueError:
        raise InvalidRequestError("The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object.")
    return body


def is_form(request: Request) -> bool:
    """Whether the request's body is declared form-encoded."""
    return _content_type(request) == _FORM


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def bool_field(body: dict[str, object], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise InvalidRequestError(f"'{name}' must be true or false.")
    return value


def address_of(request: Request, auth: AuthServices) -> str:
    """The client's address; ``X-Forwarded-For`` counts only from trusted proxies."""
    peer = request.client.host if request.client else None
    forwarded = ",".join(request.headers.getlist("x-forwarded-for")) or None
    return client_address(peer, forwarded, auth.trusted_proxies)


def user_agent_of(request: Request) -> str:
    return request.headers.get("user-agent", "")[:200]


def signed_in(request: Request) -> Caller:
    caller = caller_of(request.scope)
    if caller.kind != CallerKind.USER or caller.user_id is None:
        raise AuthenticationRequiredError()
    return caller


async def current_user(request: Request, auth: AuthServices) -> User:
    """The signed-in user, read fresh from the store (401 without a token)."""
    caller = signed_in(request)
    user = await auth.accounts.users.get(str(caller.user_id))
    if user is None or not user.enabled:
        raise InvalidTokenError()  # deleted or disabled since the token was issued
    return user


def require_admin(request: Request) -> Caller:
    caller = signed_in(request)
    if "admin" not in caller.groups:
        raise AccessDeniedError("Only members of the admin group may do this.")
    return caller


def acting_admin(request: Request, auth: AuthServices) -> str | None:
    """The acting admin's user id; 401/403 for anyone else, the refusal recorded as an
    ``access_denied`` event (threat: probing for admin rights)."""
    try:
        caller: Caller = require_admin(request)
    except AccessDeniedError:
        auth.events.denied(caller_of(request.scope), "auth_admin", request.method.lower())
        raise
    return caller.user_id


def token_response(
    tokens: IssuedTokens,
    auth: AuthServices,
    *,
    use_cookie: bool,
    status: int = 200,
    extra: dict[str, object] | None = None,
) -> JSONResponse:
    """A token response (with ``extra`` fields beside the tokens); with ``use_cookie``
    the refresh token goes in the cookie only."""
    body = {**tokens.token_response(include_refresh=not use_cookie), **(extra or {})}
    response = JSONResponse(body, status_code=status, headers=_NO_STORE)
    if use_cookie and tokens.refresh is not None:
        name, path = _refresh_cookie(auth)
        response.set_cookie(
            name,
            tokens.refresh.text,
            max_age=auth.config.refresh_absolute_ttl,
            path=path,
            secure=True,
            httponly=True,
            samesite="strict",
        )
    return response


def refresh_cookie_of(request: Request, auth: AuthServices) -> str | None:
    """The refresh token in the request's cookie, if there is one."""
    return request.cookies.get(_refresh_cookie(auth)[0])


def clear_refresh_cookie(response: Response, auth: AuthServices) -> Response:
    name, path = _refresh_cookie(auth)
    response.delete_cookie(name, path=path, secure=True, httponly=True, samesite="strict")
    return response


def _refresh_cookie(auth: AuthServices) -> tuple[str, str]:
    """The refresh cookie's name and path (see the module docstring)."""
    if auth.settings.public_url.lower().startswith("https://"):
        return f"__Host-{_REFRESH_COOKIE}", "/"
    return _REFRESH_COOKIE, "/auth"


def accepted(message: str) -> JSONResponse:
    """The one answer of requests that must not reveal whether an account exists."""
    return JSONResponse({"status": "accepted", "message": message}, status_code=202)
