"""The HTTP endpoint of DynamoDB's JSON protocol.

A request is a ``POST`` whose ``X-Amz-Target`` header names the operation and whose
body is the operation's input as JSON (``application/x-amz-json-1.0``); the answer is
the output as JSON, or an error as ``{"__type", "message"}`` with HTTP 400 (client
errors) or 500 (DynamoDB API Reference, "Making HTTP requests" and "Error handling").

Every ``POST`` must be signed with SigV4 by an active access key. A ``GET`` answers a
fixed health line without authentication or data access, as DynamoDB does for the
health checks of tools. Any unexpected error becomes ``InternalServerError`` (500) with
the request id; the detail goes to the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from starlette.types import Receive, Scope, Send

from auth.access_keys import AccessKeyRepository
from baas.dynamodb.authentication import KeyAuthenticator
from baas.dynamodb.context import OperationContext, StoreSource, store_getter
from baas.dynamodb.descriptions import Account
from baas.dynamodb.errors import (
    CORAL_SERVICE,
    RETRY_AFTER,
    DynamoDBApiError,
    from_storage_error,
    internal_error,
)
from baas.dynamodb.operations import OPERATIONS
from baas.dynamodb.sigv4 import SignatureError, SignedRequest
from baas.errors import BodyTooLargeError, ClientDisconnectedError
from baas.json_bodies import dumps, loads
from baas.request_bodies import CLIENT_CLOSED_REQUEST, read_body
from baas.request_ids import new_request_id
from storage.errors import StorageError

__all__ = [
    "CONTENT_TYPE",
    "HEALTH_CONTENT_TYPE",
    "MAX_BODY_BYTES",
    "SDK_REQUEST_HEADERS",
    "SDK_RESPONSE_HEADERS",
    "DynamoDBEndpoint",
    "too_large",
]

_log = logging.getLogger("baas.dynamodb")
CONTENT_TYPE = b"application/x-amz-json-1.0"
# What an AWS SDK sends with a signed call besides Authorization and Content-Type, and
# the response header it reads (for CORS: the JavaScript SDK v3 in a browser).
SDK_REQUEST_HEADERS = (
    "X-Amz-Date",
    "X-Amz-Target",
    "X-Amz-Content-Sha256",
    "X-Amz-Security-Token",
    "X-Amz-User-Agent",
    "Amz-Sdk-Invocation-Id",
    "Amz-Sdk-Request",
)
SDK_RESPONSE_HEADERS = ("X-Amzn-RequestId",)
HEALTH_CONTENT_TYPE = b"text/plain; charset=utf-8"
# BatchWriteItem's documented maximum; the body is read before the signature can be
# checked, so the cap bounds what an unauthenticated client makes us buffer.
MAX_BODY_BYTES = 16 * 1024 * 1024


class DynamoDBEndpoint:
    """The DynamoDB and DynamoDB Streams operations, behind any HTTP server.

    :meth:`answer` takes a request's parts and returns the response, whatever carries
    them: the endpoint is an ASGI application (for the API's port, behind Starlette),
    and :mod:`baas.dynamodb.server` calls :meth:`answer` directly on a port of its own.
    Plain ASGI rather than a Starlette request handler: every request is small and
    alike, and the per-request objects of the framework would cost as much as the
    verification of the signature.
    """

    def __init__(
        self,
        store: StoreSource,
        keys: AccessKeyRepository,
        account: Account | None = None,
        authenticator: KeyAuthenticator | None = None,
    ) -> None:
        self._account = account or Account()
        self._context = OperationContext(store_getter(store), self._account)
        self._authenticator = authenticator or KeyAuthenticator(keys)
        self.health = f"healthy: dynamodb.{self._account.region}.amazonaws.com ".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (ASGI)."""
        request_id = _request_id(scope)
        if scope["method"] != "POST":
            await _send(send, 200, self.health, request_id, HEALTH_CONTENT_TYPE)
            return
        try:
            body = await read_body(scope, receive, MAX_BODY_BYTES)
        except BodyTooLargeError:
            await _send(send, 413, dumps(too_large().body()), request_id)
            return
        except ClientDisconnectedError:
            # Nobody to answer; counted as the client's doing, never as a 500.
            await _send(send, CLIENT_CLOSED_REQUEST, b"", request_id)
            return
        status, answer = await self.answer(
            scope.get("raw_path") or scope["path"].encode(),
            scope.get("query_string", b""),
            scope["headers"],
            body,
            request_id,
        )
        await _send(send, status, answer, request_id)

    async def answer(
        self,
        raw_path: bytes,
        query_string: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
        request_id: str,
    ) -> tuple[int, bytes]:
        """The status and JSON body answering a POST (never raises).

        ``raw_path`` is the path as sent (it may carry the query string too),
        ``headers`` the raw header lines in their order.
        """
        try:
            decoded = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
            request = SignedRequest(
                method="POST",
                raw_path=raw_path.decode("latin-1").split("?", 1)[0],
                query_string=query_string.decode("latin-1"),
                headers=decoded,
                body=body,
            )
            await self._authenticator.authenticate(request)
        except SignatureError as exc:
            error = DynamoDBApiError(exc.code, exc.message, namespace=CORAL_SERVICE)
            return error.status, dumps(error.body())
        except Exception as exc:  # noqa: BLE001 - answered by the one error mapping below
            return _failure(exc, request_id)
        return await self.dispatch(request.header("x-amz-target") or "", body, request_id)

    async def dispatch(self, target: str, body: bytes, request_id: str) -> tuple[int, bytes]:
        """Run the operation ``target`` names on the JSON ``body``, for a caller already
        authenticated (by SigV4 in :meth:`answer`, or as an admin by the console's API);
        the status and JSON body of the answer (never raises)."""
        try:
            handler = OPERATIONS.get(target)
            if handler is None:
                raise DynamoDBApiError("UnknownOperationException", "", namespace=CORAL_SERVICE)
            return 200, dumps(await handler(self._context, _json_object(body)))
        except Exception as exc:  # noqa: BLE001 - answered by the one error mapping below
            return _failure(exc, request_id)


def _failure(exc: Exception, request_id: str) -> tuple[int, bytes]:
    """The answer to a request that raised ``exc``: DynamoDB's error for a known one,
    InternalServerError (500, detail in the log only) for anything else."""
    if isinstance(exc, DynamoDBApiError):
        error = exc
    elif isinstance(exc, StorageError):
        error = from_storage_error(exc, request_id)
        if error.status == 503:
            _log.warning("store busy (request %s); answered retry later", request_id)
        elif error.status >= 500:
            _log.error("store failure (request %s)", request_id, exc_info=exc)
    else:
        _log.error("unexpected error (request %s)", request_id, exc_info=exc)
        error = internal_error(request_id)
    return error.status, dumps(error.body())


def _request_id(scope: Scope) -> str:
    # The app's RequestIdMiddleware sets one; mounted without it, we make our own.
    state = scope.get("state") or {}
    request_id = state.get("request_id") if isinstance(state, dict) else None
    return str(request_id) if request_id else new_request_id()


def too_large() -> DynamoDBApiError:
    """RequestEntityTooLarge: the body is above :data:`MAX_BODY_BYTES`."""
    return DynamoDBApiError(
        "RequestEntityTooLarge",
        f"Request body exceeds the maximum of {MAX_BODY_BYTES} bytes.",
        status=413,
        namespace=CORAL_SERVICE,
    )


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = loads(body or b"{}")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise DynamoDBApiError(
            "SerializationException",
            "The request body is not a JSON object.",
            namespace=CORAL_SERVICE,
        )
    return parsed


async def _send(
    send: Send, status: int, body: bytes, request_id: str, content_type: bytes = CONTENT_TYPE
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"x-amzn-requestid", request_id.encode()),
    ]
    if status == 503:
        headers.append((b"retry-after", RETRY_AFTER))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
