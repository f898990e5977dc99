"""The one table that turns errors into HTTP answers.

Domain packages raise their own errors (``storage.errors``, ``auth.errors`` ...) and know
nothing of HTTP. Here each error class maps to a status; the body always has the same
shape, with only safe fields::

    {"error": {"code": "...", "message": "...", "request_id": "..."}}

Anything unmapped is a bug: the client gets a generic 500 with the request id, and the
traceback goes to the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from auth import errors as auth_errors
from baas.errors import BodyTooLargeError, ClientDisconnectedError, RequestBodyError
from baas.request_bodies import CLIENT_CLOSED_REQUEST
from storage import errors as storage_errors
from workflows import errors as workflows_errors

__all__ = [
    "error_response",
    "exception_handlers",
    "graphql_code_for",
    "graphql_codes",
    "json_error",
    "retry_after_for",
    "status_for",
]

_log = logging.getLogger("baas.errors")
# Seconds a client is asked to wait when the error does not say (Retry-After, RFC 9110 §10.2.3).
_DEFAULT_RETRY_AFTER = 5

# Looked up along the class hierarchy (most specific first), like Starlette's handlers.
_STATUS: dict[type[Exception], int] = {
    storage_errors.ValidationError: 400,
    storage_errors.ConditionalCheckFailedError: 400,
    storage_errors.TransactionCanceledError: 400,
    storage_errors.TransactionConflictError: 400,
    storage_errors.IdempotentParameterMismatchError: 400,
    storage_errors.ResourceNotFoundError: 400,
    storage_errors.ResourceInUseError: 400,
    storage_errors.LimitExceededError: 400,
    storage_errors.StorageBusyError: 503,
    storage_errors.StorageError: 500,
    auth_errors.InvalidRequestError: 400,
    auth_errors.InvalidTokenError: 401,
    auth_errors.InvalidGrantError: 400,
    auth_errors.InvalidCredentialsError: 401,
    auth_errors.WeakPasswordError: 400,
    auth_errors.AccessDeniedError: 403,
    auth_errors.ItemNotFoundError: 404,
    auth_errors.ThrottledError: 429,
    auth_errors.EmailNotVerifiedError: 403,
    auth_errors.InvalidCodeError: 400,
    auth_errors.InvalidMfaCodeError: 400,
    auth_errors.InvalidMfaTokenError: 400,
    auth_errors.MfaRequiredError: 403,
    auth_errors.PasskeyError: 400,
    auth_errors.AccountExistsError: 409,
    auth_errors.SocialLoginError: 400,
    auth_errors.UnsupportedGrantTypeError: 400,
    auth_errors.UnsupportedMediaTypeError: 415,
    auth_errors.SecretKeyError: 500,
    auth_errors.AuthenticationRequiredError: 401,
    auth_errors.AuthUnavailableError: 503,
    auth_errors.AuthError: 401,
    BodyTooLargeError: 413,
    ClientDisconnectedError: CLIENT_CLOSED_REQUEST,
    ClientDisconnect: CLIENT_CLOSED_REQUEST,
    RequestBodyError: 400,
    workflows_errors.TemporalUnavailableError: 503,
    workflows_errors.IdempotencyConflictError: 409,
}


def status_for(exc: Exception) -> int | None:
    """The HTTP status for a domain error, or None when it is not one we know."""
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return None


def json_error(
    scope: Scope, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The single error shape of the HTTP API, for the request in ``scope``."""
    request_id = scope.get("state", {}).get("request_id")
    return JSONResponse(
        {"error": {"code": code, "message": message, "request_id": request_id}},
        status_code=status,
        headers=dict(headers or {}),
    )


def error_response(request: Request, status: int, code: str, message: str) -> JSONResponse:
    """:func:`json_error` for a Starlette request."""
    return json_error(request.scope, status, code, message)


async def _http_exception(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # pragma: no cover (registered for it only)
        return await _unexpected(request, exc)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    response = error_response(request, exc.status_code, code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _domain(request: Request, exc: Exception) -> Response:
    status = status_for(exc)
    if status == 503:
        # Expected and safe to say: retry later (revocations unreadable, so fail closed;
        # the store locked by another writer past its busy timeout; Temporal unreachable).
        retry_after = {"Retry-After": str(retry_after_for(exc))}
        message = getattr(exc, "message", None) or "Unavailable, retry later."
        return json_error(
            request.scope, 503, getattr(exc, "code", "unavailable"), message, retry_after
        )
    if status is None or status >= 500:
        return await _unexpected(request, exc)
    headers: dict[str, str] = {}
    if isinstance(exc, auth_errors.AuthenticationRequiredError):
        headers["WWW-Authenticate"] = 'Bearer realm="baas"'  # RFC 6750 §3: no error code
    if isinstance(exc, auth_errors.ThrottledError):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, auth_errors.InvalidTokenError):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    message = getattr(exc, "message", None) or str(exc)
    return json_error(request.scope, status, getattr(exc, "code", "error"), message, headers)


async def _request_body(request: Request, exc: Exception) -> Response:
    """A body too large (413), or a client gone mid-body: expected, never a crash."""
    status = status_for(exc) or 400
    if status == CLIENT_CLOSED_REQUEST:
        # No traceback: a client may always hang up. The answer goes nowhere.
        _log.info("the client disconnected before sending the whole body")
        return Response(status_code=status)
    message = getattr(exc, "message", None) or str(exc)
    return json_error(request.scope, status, getattr(exc, "code", "bad_request"), message)


async def _unexpected(request: Request, exc: Exception) -> Response:
    _log.error("unhandled error", exc_info=exc)
    return error_response(
        request,
        500,
        "internal_error",
        "Internal server error; quote the request id to the operator.",
    )


# Domain roots are registered by class so expected errors are answered without being
# re-raised and logged as crashes; `Exception` is Starlette's last-resort (500) slot.
exception_handlers = {
    HTTPException: _http_exception,
    storage_errors.StorageError: _domain,
    auth_errors.AuthError: _domain,
    RequestBodyError: _request_body,
    ClientDisconnect: _request_body,
    workflows_errors.WorkflowsError: _domain,
    Exception: _unexpected,
}


# GraphQL's side of the same table: ``extensions.code`` of an expected error. Codes are
# stable API (clients switch on them); looked up along the class hierarchy as above.
_GRAPHQL_CODES: dict[type[Exception], str] = {
    storage_errors.ValidationError: "VALIDATION",
    storage_errors.ConditionalCheckFailedError: "CONDITIONAL_CHECK_FAILED",
    storage_errors.TransactionCanceledError: "TRANSACTION_CANCELED",
    storage_errors.TransactionConflictError: "TRANSACTION_CONFLICT",
    storage_errors.IdempotentParameterMismatchError: "VALIDATION",
    storage_errors.LimitExceededError: "LIMIT_EXCEEDED",
    auth_errors.InvalidRequestError: "VALIDATION",
    auth_errors.InvalidTokenError: "UNAUTHENTICATED",
    auth_errors.AccessDeniedError: "FORBIDDEN",
    auth_errors.ItemNotFoundError: "NOT_FOUND",
    auth_errors.ThrottledError: "THROTTLED",
    # Momentary: the same operation is expected to succeed later (extensions.retryAfter).
    storage_errors.StorageBusyError: "UNAVAILABLE",
    auth_errors.AuthUnavailableError: "UNAVAILABLE",
    workflows_errors.TemporalUnavailableError: "UNAVAILABLE",
    workflows_errors.IdempotencyConflictError: "IDEMPOTENCY_CONFLICT",
}


def graphql_code_for(exc: BaseException) -> str | None:
    """The GraphQL ``extensions.code`` of a domain error, or None when it is unexpected."""
    for cls in type(exc).__mro__:
        if cls in _GRAPHQL_CODES:
            return _GRAPHQL_CODES[cls]
    return None


def retry_after_for(exc: BaseException) -> int:
    """Seconds to wait before retrying after ``exc`` (an error answered 503/UNAVAILABLE)."""
    retry_after = getattr(exc, "retry_after", None)
    return retry_after if isinstance(retry_after, int) and retry_after > 0 else _DEFAULT_RETRY_AFTER


def graphql_codes() -> frozenset[str]:
    """Every GraphQL ``extensions.code`` a domain error may get (docs/graphql.md lists each)."""
    return frozenset(_GRAPHQL_CODES.values())
