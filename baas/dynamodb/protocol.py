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

import json
import logging
import uuid
from typing import Any

from starlette.types import Receive, Scope, Send

from auth.access_keys import AccessKeyRepository
from baas.dynamodb.authentication import KeyAuthenticator
from baas.dynamodb.context import OperationContext, StoreSource, store_getter
from baas.dynamodb.descriptions import Account
from baas.dynamodb.errors import (
    CORAL_SERVICE,
    DynamoDBApiError,
    from_storage_error,
    internal_error,
)
from baas.dynamodb.operations import OPERATIONS
from baas.dynamodb.sigv4 import SignatureError, SignedRequest
from baas.json_bodies import dumps
from storage.errors import StorageError

__all__ = ["MAX_BODY_BYTES", "DynamoDBEndpoint", "StandaloneEndpoint"]

_log = logging.getLogger("baas.dynamodb")
_CONTENT_TYPE = b"application/x-amz-json-1.0"
# BatchWriteItem's documented maximum; the body is read before the signature can be
# checked, so the cap bounds what an unauthenticated client makes us buffer.
MAX_BODY_BYTES = 16 * 1024 * 1024


class DynamoDBEndpoint:
    """An ASGI endpoint serving the DynamoDB and DynamoDB Streams operations.

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
        self._health = f"healthy: dynamodb.{self._account.region}.amazonaws.com ".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request."""
        request_id = _request_id(scope)
        if scope["method"] != "POST":
            await _send(send, 200, self._health, request_id, b"text/plain; charset=utf-8")
            return
        status, body = await self._answer(scope, receive, request_id)
        await _send(send, status, body, request_id)

    async def _answer(self, scope: Scope, receive: Receive, request_id: str) -> tuple[int, bytes]:
        """The status and JSON body answering a POST (never raises)."""
        try:
            body = await _read_body(scope, receive)
            headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in scope["headers"]
            ]
            await self._authenticator.authenticate(_signed_request(scope, headers, body))
            target = next((value for name, value in headers if name.lower() == "x-amz-target"), "")
            handler = OPERATIONS.get(target)
            if handler is None:
                raise DynamoDBApiError("UnknownOperationException", "", namespace=CORAL_SERVICE)
            return 200, dumps(await handler(self._context, _json_object(body)))
        except DynamoDBApiError as exc:
            error = exc
        except SignatureError as exc:
            error = DynamoDBApiError(exc.code, exc.message, namespace=CORAL_SERVICE)
        except StorageError as exc:
            error = from_storage_error(exc, request_id)
            if error.status >= 500:
                _log.error("store failure (request %s)", request_id, exc_info=exc)
        except Exception as exc:  # noqa: BLE001 - the last resort: answer 500, log the detail
            _log.error("unexpected error (request %s)", request_id, exc_info=exc)
            error = internal_error(request_id)
        return error.status, dumps(error.body())


class StandaloneEndpoint:
    """The endpoint as a complete ASGI application (its own port, every path).

    Besides HTTP it answers the ASGI lifespan protocol (nothing to start: the store is
    opened by whoever owns it) and refuses WebSocket connections.
    """

    def __init__(self, endpoint: DynamoDBEndpoint) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch on the ASGI scope type."""
        if scope["type"] == "http":
            await self.endpoint(scope, receive, send)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        else:
            await send({"type": "websocket.close", "code": 1008})


def _request_id(scope: Scope) -> str:
    # The app's RequestIdMiddleware sets one; standalone (own port) we make our own.
    state = scope.get("state") or {}
    request_id = state.get("request_id") if isinstance(state, dict) else None
    return str(request_id) if request_id else uuid.uuid4().hex


def _signed_request(scope: Scope, headers: list[tuple[str, str]], body: bytes) -> SignedRequest:
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return SignedRequest(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1").split("?", 1)[0],
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
    )


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            raise _too_large()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise DynamoDBApiError("SerializationException", "The client disconnected.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large() -> DynamoDBApiError:
    return DynamoDBApiError(
        "RequestEntityTooLarge",
        f"Request body exceeds the maximum of {MAX_BODY_BYTES} bytes.",
        status=413,
        namespace=CORAL_SERVICE,
    )


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
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
    send: Send, status: int, body: bytes, request_id: str, content_type: bytes = _CONTENT_TYPE
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"x-amzn-requestid", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
