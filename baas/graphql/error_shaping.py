"""Every GraphQL error leaves with a stable ``extensions.code`` and nothing unsafe.

- A domain error (``storage``/``auth``) gets its code from the one table in
  :mod:`baas.http_errors` and keeps its safe message. ``UNAVAILABLE`` (retry later:
  the store busy, Temporal unreachable) adds ``extensions.retryAfter`` (seconds); a
  cancelled transaction adds ``extensions.reasons`` (one per item: ``NONE``,
  ``NOT_FOUND``, ``CONDITIONAL_CHECK_FAILED`` ...) and never the items themselves.
- A :class:`~baas.graphql.errors.GraphQLApiError` keeps its code, message and extensions.
- A document that does not parse or validate is ``GRAPHQL_PARSE_FAILED`` or
  ``GRAPHQL_VALIDATION_FAILED`` (the names Apollo clients know); a variable value that
  does not coerce to its type is ``BAD_USER_INPUT`` (the pipeline marks those, since
  only it knows the step an error came from).
- Anything else is a bug: the client gets ``INTERNAL_SERVER_ERROR``, a fixed message and
  the request id; the log gets the traceback. No stack trace, SQL or expression text
  ever reaches a client.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from baas.graphql.errors import GraphQLApiError
from baas.http_errors import graphql_code_for, retry_after_for
from storage.errors import TransactionCanceledError, ValidationError

__all__ = [
    "BAD_USER_INPUT",
    "INTERNAL_SERVER_ERROR",
    "PARSE_FAILED",
    "SHAPING_CODES",
    "VALIDATION_FAILED",
    "mark_bad_user_input",
    "shape_error",
    "shape_in_place",
]

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
SHAPING_CODES = frozenset({PARSE_FAILED, VALIDATION_FAILED, BAD_USER_INPUT, INTERNAL_SERVER_ERROR})
"""The codes given here, beside the domain's (:mod:`baas.http_errors`) and the
:class:`~baas.graphql.errors.GraphQLApiError` classes'."""

_log = logging.getLogger("baas.graphql")
_EXPRESSION_TEXT = re.compile(r"[#:]\w|token:", re.IGNORECASE)
_INTERNAL = "Internal server error; quote the request id to the operator."
_REASON_CODES = {
    "None": "NONE",
    "NotFound": "NOT_FOUND",
    "ConditionalCheckFailed": "CONDITIONAL_CHECK_FAILED",
    "ValidationError": "VALIDATION",
    "TransactionConflict": "TRANSACTION_CONFLICT",
}


def shape_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """``error`` as the client may see it (see the module docstring)."""
    original = error.original_error
    if original is None:
        if isinstance(error, GraphQLSyntaxError):
            return _with(error, error.message, {"code": PARSE_FAILED})
        if error.path:  # a field error without cause, e.g. a null in a non-null field
            return _with(error, error.message, {"code": INTERNAL_SERVER_ERROR})
        return _with(error, error.message, {"code": VALIDATION_FAILED})
    if isinstance(original, GraphQLError):
        return shape_error(original, request_id)
    if isinstance(original, GraphQLApiError):
        return _with(error, original.message, {**original.extensions, "code": original.code})
    code = graphql_code_for(original)
    if code is not None:
        extensions: dict[str, Any] = {"code": code}
        if isinstance(original, TransactionCanceledError):
            extensions["reasons"] = [
                {"index": i, "code": _REASON_CODES.get(reason.code, "VALIDATION")}
                for i, reason in enumerate(original.reasons)
            ]
            return _with(
                error, "The transaction was cancelled; see extensions.reasons.", extensions
            )
        if code == "UNAVAILABLE":  # retry later, as HTTP's Retry-After says
            extensions["retryAfter"] = retry_after_for(original)
        return _with(error, _safe_message(original), extensions)
    if isinstance(original, ValueError) and not error.path:
        # Scalars report bad variable values with ValueError (messages are ours).
        return _with(error, error.message, {"code": BAD_USER_INPUT})
    _log.error("unexpected error in a GraphQL operation", exc_info=original)
    return _with(error, _INTERNAL, {"code": INTERNAL_SERVER_ERROR, "requestId": request_id})


def _safe_message(error: Exception) -> str:
    message = str(getattr(error, "message", "") or "")
    # Expression texts are ours (placeholders only), yet not the client's business: a
    # message quoting a placeholder or a syntax error's token is replaced.
    if isinstance(error, ValidationError) and _EXPRESSION_TEXT.search(message):
        return "The request is invalid."
    return message or "The request failed."


def _with(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def shape_in_place(errors: list[GraphQLError], request_id: str | None) -> None:
    """Shape each error object itself (idempotent).

    The objects are changed rather than replaced because Strawberry keeps some (a parse
    error) in more than one list; and transports call this once more on what they send,
    since an error raised while entering an extension hook bypasses the hooks' exits.
    """
    for error in errors:
        if not _is_shaped(error):
            shaped = shape_error(error, request_id)
            error.message = shaped.message
            error.extensions = shaped.extensions
        _drop_tracebacks(error)
        error.original_error = None


def _drop_tracebacks(error: BaseException) -> None:
    """Forget the tracebacks of ``error`` and of every exception it came from.

    The client's answer needs none (the log got what it needed), and each is a cycle:
    a frame left inside its ``except ... as raw_error:`` block (graphql-core's, raising
    the located error) keeps ``raw_error``, whose traceback keeps that frame, and with it
    the executor and the whole request until the collector's next full pass.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending += [
            current.__cause__,
            current.__context__,
            getattr(current, "original_error", None),
        ]


def mark_bad_user_input(errors: list[GraphQLError]) -> None:
    """Give ``BAD_USER_INPUT`` to the request errors of variable coercion.

    graphql-core words them itself (its own errors, perhaps wrapping a scalar's
    ``ValueError``, whose messages are ours): without this mark they would read as
    validation failures. One caused by anything else is left to :func:`shape_error`,
    which masks it (a bug in a scalar must not speak to the client).
    """
    for error in errors:
        cause = error.original_error
        while isinstance(cause, GraphQLError):
            cause = cause.original_error
        if not error.path and (cause is None or isinstance(cause, ValueError)):
            error.original_error = None
            error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}


def _is_shaped(error: GraphQLError) -> bool:
    return error.original_error is None and bool(error.extensions and "code" in error.extensions)
