"""GraphQL over HTTP at ``/graphql``, as the GraphQL-over-HTTP spec describes it.

Requests:

- ``POST`` with ``Content-Type: application/json`` and a body
  ``{"query", "operationName"?, "variables"?, "extensions"?}`` runs a query or mutation;
- ``GET`` with the same parameters in the query string runs a query only: a mutation
  is answered ``405`` with ``Allow: POST`` (a GET must not change anything);
- any other content type is ``415``. Threat: cross-site request forgery through
  "simple" requests (``text/plain``, form posts) that browsers send without a CORS
  preflight; JSON cannot be sent cross-site without one;
- a JSON array (a batch of operations) is ``400``: batching multiplies the cost of one
  request past every per-request limit;
- ``extensions.persistedQuery`` (Apollo's automatic persisted queries, on GET and POST)
  may stand in for ``query``: see :mod:`baas.graphql.persisted_queries`. Its refusals are
  answered here, ``PersistedQueryNotFound`` with ``200`` and ``Cache-Control: private,
  no-cache, must-revalidate`` as Apollo Server does (a shared cache must not keep a miss).

Responses: ``application/graphql-response+json`` when the ``Accept`` header asks for it,
with ``400`` for a document that does not parse or validate (or bad variables, or a
cost above the per-request limit), ``429`` for a caller past their cost budget per
minute and ``503`` when the store could not lease from that budget (``UNAVAILABLE``);
otherwise ``application/json`` with ``200`` for every well-formed request. These two
refusals carry ``Retry-After`` either way. In dev, a
browser's GET without a query gets GraphiQL (served from baas's own files, see
:mod:`baas.console`).
"""

from __future__ import annotations

import uuid
from typing import Any

from graphql import GraphQLFormattedError
from graphql.language import OperationType
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth.client_addresses import address_bucket, client_address
from baas.authn import caller_of
from baas.console import graphiql_page
from baas.errors import BodyTooLargeError
from baas.graphql.context import RequestContext
from baas.graphql.limits import GraphQLLimits
from baas.graphql.persisted_queries import PersistedQueryError
from baas.graphql.pipeline import (
    OperationNotAllowedError,
    OperationPipeline,
    OperationRequest,
    Outcome,
    UnknownOperationError,
)
from baas.graphql.query_budget import RateLimitedError
from baas.json_bodies import JsonBody, loads
from baas.request_bodies import read_body
from baas.services import Services

__all__ = ["REQUEST_ERRORS", "GraphQLEndpoint"]

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_GET_ONLY = frozenset({OperationType.QUERY})
_POST = frozenset({OperationType.QUERY, OperationType.MUTATION})
_NO_STORE = {"Cache-Control": "private, no-cache, must-revalidate"}


REQUEST_ERRORS = {
    "BAD_REQUEST": 400,
    "BATCHING_NOT_SUPPORTED": 400,
    "OPERATION_NOT_SUPPORTED": 400,
    "METHOD_NOT_ALLOWED": 405,
    "NOT_ACCEPTABLE": 406,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "PERSISTED_QUERY_NOT_FOUND": 200,  # Apollo's clients read the error, not the status
    "QUERY_NOT_IN_SAFELIST": 403,  # the allow-list's refusals: Apollo Router's statuses
    "PERSISTED_QUERY_NOT_IN_LIST": 404,
}
"""The codes of requests refused before GraphQL runs, with their HTTP status."""


class _RequestError(Exception):
    """The HTTP request itself is unusable; answered before any GraphQL runs."""

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = REQUEST_ERRORS[code]
        self.code = code
        self.message = message
        self.headers = headers or {}


class GraphQLEndpoint:
    """The Starlette endpoint for HTTP requests to ``/graphql``."""

    def __init__(
        self,
        pipeline: OperationPipeline,
        services: Services,
        limits: GraphQLLimits,
        *,
        graphiql: bool,
    ) -> None:
        self.pipeline = pipeline
        self.services = services
        self.limits = limits
        self.graphiql = graphiql
        self.trusted_proxies = tuple(services.settings.auth.trusted_proxies)

    async def handle(self, request: Request) -> Response:
        """Answer one request (the Starlette endpoint)."""
        media_type = JSON
        try:
            if self.graphiql and _wants_ide(request):
                return graphiql_page(request)
            media_type = _negotiate(request.headers.get("accept"))
            params = await self._params(request)
            return await self._execute(request, params, media_type)
        except _RequestError as error:
            return _error_response(request, error, media_type)

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            return _from_query_string(request)
        if request.method != "POST":
            raise _RequestError("METHOD_NOT_ALLOWED", "Use GET or POST.", {"Allow": "GET, POST"})
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != JSON:
            raise _RequestError("UNSUPPORTED_MEDIA_TYPE", "Send the request as application/json.")
        try:
            body = await read_body(request.scope, request.receive, self.limits.max_body_bytes)
        except BodyTooLargeError as exc:
            raise _RequestError("PAYLOAD_TOO_LARGE", exc.message) from None
        try:
            data = loads(body)
        except ValueError:
            raise _RequestError("BAD_REQUEST", "The body is not valid JSON.") from None
        if isinstance(data, list):
            raise _RequestError("BATCHING_NOT_SUPPORTED", "Send one operation per request.")
        if not isinstance(data, dict):
            raise _RequestError("BAD_REQUEST", "The body must be a JSON object.")
        return _checked(data)

    async def _execute(self, request: Request, params: dict[str, Any], media_type: str) -> Response:
        peer = request.client.host if request.client else None
        forwarded = ",".join(request.headers.getlist("x-forwarded-for")) or None
        context = RequestContext(
            self.services,
            caller_of(request.scope),
            request_id=getattr(request.state, "request_id", None) or uuid.uuid4().hex,
            client_address=address_bucket(client_address(peer, forwarded, self.trusted_proxies)),
        )
        allowed = _GET_ONLY if request.method == "GET" else _POST
        operation = OperationRequest(
            params.get("query") or "",
            params.get("variables"),
            params.get("operationName"),
            params.get("extensions"),
        )
        try:
            outcome = await self.pipeline.execute(operation, context, allowed)
        except OperationNotAllowedError as exc:
            if request.method == "GET" and exc.operation == OperationType.MUTATION:
                raise _RequestError(
                    "METHOD_NOT_ALLOWED",
                    "Mutations must be sent with POST.",
                    {"Allow": "POST"},
                ) from None
            raise _RequestError(
                "OPERATION_NOT_SUPPORTED",
                "Subscriptions are served over WebSocket at this URL.",
            ) from None
        except UnknownOperationError as exc:
            raise _RequestError(exc.code, exc.message) from None
        except PersistedQueryError as exc:
            raise _RequestError(exc.code, exc.message, _NO_STORE) from None
        return _result_response(outcome, media_type)


def _wants_ide(request: Request) -> bool:
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )


def _negotiate(accept: str | None) -> str:
    """The response media type for ``accept`` (GraphQL-over-HTTP "Accept" section)."""
    if not accept:
        return JSON
    offered = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in offered:
        return GRAPHQL_RESPONSE
    if any(kind in (JSON, "*/*", "application/*") for kind in offered):
        return JSON
    raise _RequestError("NOT_ACCEPTABLE", f"This endpoint answers {GRAPHQL_RESPONSE} or {JSON}.")


def _from_query_string(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    for name in ("variables", "extensions"):
        if name in params:
            try:
                params[name] = loads(params[name])
            except ValueError:
                raise _RequestError("BAD_REQUEST", f"'{name}' must be JSON.") from None
    return _checked(params)


def _checked(params: dict[str, Any]) -> dict[str, Any]:
    """The request parameters, type-checked (GraphQL-over-HTTP "Request Parameters").

    ``query`` may be left out when ``extensions.persistedQuery`` names the document.
    """
    query = params.get("query")
    persisted = (
        isinstance(params.get("extensions"), dict) and "persistedQuery" in params["extensions"]
    )
    if not (isinstance(query, str) and query.strip()) and not (persisted and query is None):
        raise _RequestError("BAD_REQUEST", "'query' must be a non-empty string.")
    for name, kind in (("operationName", str), ("variables", dict), ("extensions", dict)):
        value = params.get(name)
        if value is not None and not isinstance(value, kind):
            raise _RequestError("BAD_REQUEST", f"'{name}' has the wrong type.")
    return params


def _result_response(outcome: Outcome, media_type: str) -> Response:
    result = outcome.result
    errors = [error.formatted for error in result.errors or ()]
    # GraphQL-over-HTTP: a request error has no "data" entry at all.
    body: dict[str, Any] = {"errors": errors} if outcome.request_error else {"data": result.data}
    if errors and not outcome.request_error:
        body["errors"] = errors
    if result.extensions:
        body["extensions"] = result.extensions
    status = 400 if outcome.request_error and media_type == GRAPHQL_RESPONSE else 200
    headers: dict[str, str] = {}
    wait = _retry_after(errors) if outcome.request_error else None
    if wait is not None:
        headers["Retry-After"] = str(wait[1])
        if media_type == GRAPHQL_RESPONSE:
            status = wait[0]
    return JsonBody(body, status_code=status, media_type=media_type, headers=headers or None)


# Request errors that mean "retry later", and their status in graphql-response+json.
_RETRY_LATER = {RateLimitedError.code: 429, "UNAVAILABLE": 503}


def _retry_after(errors: list[GraphQLFormattedError]) -> tuple[int, int] | None:
    """The status and the seconds to wait when nothing ran for a reason that passes: the
    caller's cost budget is spent, or the store could not lease from it."""
    for error in errors:
        extensions: dict[str, Any] = error.get("extensions") or {}
        status = _RETRY_LATER.get(extensions.get("code", ""))
        if status is not None:
            retry_after = extensions.get("retryAfter")
            return (status, retry_after) if isinstance(retry_after, int) else None
    return None


def _error_response(request: Request, error: _RequestError, media_type: str) -> Response:
    request_id = getattr(request.state, "request_id", None)
    body = {
        "errors": [
            {"message": error.message, "extensions": {"code": error.code, "requestId": request_id}}
        ]
    }
    return JSONResponse(
        body, status_code=error.status, media_type=media_type, headers=error.headers
    )
