"""GraphQL over WebSocket at ``/graphql``: the ``graphql-transport-ws`` protocol.

Strawberry implements the protocol (enisdenjo/graphql-ws PROTOCOL.md); this module adds
what baas needs around it:

- **Origin**: a browser handshake from another origin is refused (HTTP 403) unless the
  origin is in ``BAAS_CORS_ORIGINS``. Threat: cross-site WebSocket hijacking.
- **Authentication** in ``connection_init``: the payload carries
  ``{"authorization": "Bearer <token>"}`` or ``{"token": "<token>"}`` (browsers cannot
  set headers on a WebSocket). No token: the connection acts anonymously. A bad token
  or a disabled user: close ``4403 Forbidden``.
- **Expiry and revocation**: the connection closes with ``4403`` when the token
  expires, and when a re-check fails: the token no longer verifies (revoked: the user
  was disabled, deleted, signed out of this session or everywhere, changed password or
  groups) or the optional ``is_user_active(user_id)`` hook says no. The re-check runs
  every ``liveness_check_seconds`` and — the revocation hook — at once when a
  revocation of the connection's user reaches this process (its own at once, another
  process's within 1 s): the connection holds an :class:`auth.revocation.RevocationWatch`
  for its user while it lives. Subscriptions also stop on their own before sending an
  event committed after a revocation (:mod:`baas.graphql.subscriptions`). Clients such
  as graphql-ws then reconnect, asking their ``connectionParams`` for a fresh token.
- **Malformed messages** close with ``4400``; no ``connection_init`` in time ``4408``;
  a second one ``4429``; ``subscribe`` before the ack ``4401``; a reused id ``4409``;
  more than ``max_subscriptions_per_connection`` operations get an ``error`` message.
  Only ``graphql-transport-ws`` is spoken (the legacy ``graphql-ws`` gets ``4406``).
- **Size**: a message longer than ``max_body_bytes`` (the HTTP body's limit) closes the
  connection with ``1009``; past ``max_connections_per_address`` open connections from
  one client address (an IPv6 /64 counts as one), a new one is closed with ``1013``.
  Threat: memory exhaustion by a few clients (20 messages of 15 MB once took an API
  from 187 to 668 MB). ``baas serve`` also caps messages in uvicorn (``ws_max_size``),
  before they are buffered.

Every ``subscribe`` runs through :class:`~baas.graphql.pipeline.OperationPipeline`, the
path HTTP requests take: the same limits, caches, error codes and extensions. A
document that does not parse or validate gets an ``error`` message (``payload``: the
errors, with ``GRAPHQL_PARSE_FAILED`` or ``GRAPHQL_VALIDATION_FAILED``); a query or
mutation one ``next`` then ``complete``; a subscription one ``next`` per event. The
payload's ``extensions`` reach the pipeline too, so a persisted query's hash may stand in
for ``query`` (:mod:`baas.graphql.persisted_queries`; a refusal is an ``error`` message
with its code, ``PERSISTED_QUERY_NOT_FOUND`` first among them).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from graphql import GraphQLFormattedError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    NextMessage,
    NextMessagePayload,
    SubscribeMessage,
)
from strawberry.types.unset import UnsetType

from auth.errors import InvalidTokenError
from auth.revocation import RevocationWatch
from auth.rules import Caller, CallerKind
from baas.graphql.context import RequestContext
from baas.graphql.error_shaping import INTERNAL_SERVER_ERROR
from baas.graphql.limits import GraphQLLimits
from baas.graphql.persisted_queries import PersistedQueryError
from baas.graphql.pipeline import OperationPipeline, OperationRequest, UnknownOperationError
from baas.graphql.schema import BaasSchema
from baas.graphql.websocket_limits import CappedWebSocket, ConnectionsPerAddress
from baas.json_bodies import loads
from baas.services import Services

__all__ = ["GraphQLWebSocket", "UserActiveCheck"]

UserActiveCheck = Callable[[str], Awaitable[bool]]
"""``user_id -> still allowed to use the API?`` (e.g. False once the account is disabled)."""

_log = logging.getLogger("baas.graphql.ws")
_FORBIDDEN = 4403
_INTERNAL = "Internal server error; quote the request id to the operator."


class GraphQLWebSocket(GraphQL[RequestContext, None]):
    """The WebSocket side of ``/graphql`` (HTTP is :class:`~baas.graphql.http.GraphQLEndpoint`)."""

    def __init__(
        self,
        schema: BaasSchema,
        pipeline: OperationPipeline,
        services: Services,
        limits: GraphQLLimits,
        *,
        allowed_origins: tuple[str, ...],
        is_user_active: UserActiveCheck | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=limits.connection_init_timeout_seconds),
            max_subscriptions_per_connection=limits.max_subscriptions_per_connection,
            allowed_origins=allowed_origins,
        )
        self.pipeline = pipeline
        self.services = services
        self.limits = limits
        self.is_user_active = is_user_active
        self.graphql_transport_ws_handler_class = _TransportHandler
        self.connections = ConnectionsPerAddress(
            limits.max_connections_per_address, services.settings.auth.trusted_proxies
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        websocket = CappedWebSocket(scope, receive, send, max_bytes=self.limits.max_body_bytes)
        async with self.connections.admitted(websocket, GRAPHQL_TRANSPORT_WS_PROTOCOL) as admitted:
            if admitted:
                await self.run(websocket)

    def decode_json(self, data: str | bytes) -> object:
        """A message, read as HTTP bodies are (:func:`baas.json_bodies.loads`).

        Nesting past 1,024 levels or a lone surrogate is malformed JSON, closed with
        ``4400`` like any other, never a RecursionError that drops the connection.
        """
        try:
            return loads(data)
        except ValueError as exc:
            raise json.JSONDecodeError(str(exc), "", 0) from None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
        address = self.connections.address_of(request) if isinstance(request, WebSocket) else None
        return RequestContext(
            self.services, Caller.anonymous(), request_id=request_id, client_address=address
        )

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        token = _token_of(context.connection_params)
        if token is None:
            return UnsetType()  # anonymous; the ack carries no payload
        try:
            caller = self.services.authenticator.caller_for_token(token)
        except InvalidTokenError:
            raise ConnectionRejectionError() from None
        if caller.user_id and self.is_user_active and not await self.is_user_active(caller.user_id):
            raise ConnectionRejectionError()
        context.caller = caller
        context.token = token
        context.expires_at = _expiry_of(token)
        return UnsetType()


def _token_of(params: dict[str, Any]) -> str | None:
    """The access token in a ``connection_init`` payload, if any (see module docstring)."""
    authorization = params.get("authorization", params.get("Authorization"))
    if isinstance(authorization, str):
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ConnectionRejectionError()
        return token.strip()
    if authorization is not None:
        raise ConnectionRejectionError()
    raw: object = params.get("token")
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw:
        raise ConnectionRejectionError()
    return raw


def _expiry_of(token: str) -> float | None:
    # The token was verified just before; its ``exp`` claim is read, not trusted anew.
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error):
        return None


class _TransportHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """Strawberry's protocol handler plus message checks and the expiry watchdog."""

    view: GraphQLWebSocket
    _watchdog: asyncio.Task[None] | None = None
    _revocations: RevocationWatch | None = None
    _extensions: dict[str, dict[str, Any]] | None = None

    async def handle_message(self, message: Message) -> None:
        if not _well_formed(message):
            await self.handle_invalid_message("Invalid message")
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Strawberry's Operation keeps no extensions: they wait here for run_operation.
        payload = message["payload"]
        extensions = payload.get("extensions")
        if extensions:
            payload.setdefault("query", "")  # a persisted query's hash stands in for it
            if message["id"] not in self.operations:
                self._extensions = self._extensions or {}
                self._extensions[message["id"]] = extensions
        await super().handle_subscribe(message)
        if extensions and self._extensions and message["id"] not in self.operations:
            self._extensions.pop(message["id"], None)  # refused: never runs

    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        """Run one ``subscribe`` through the pipeline HTTP uses (module docstring)."""
        extensions = self._extensions.pop(operation.id, None) if self._extensions else None
        request = OperationRequest(
            operation.query, operation.variables, operation.operation_name, extensions
        )
        request_id = self.context.request_id
        try:
            outcomes = self.view.pipeline.stream(request, self.context)
            async with contextlib.aclosing(outcomes):
                async for outcome in outcomes:
                    errors = [error.formatted for error in outcome.result.errors or ()]
                    if outcome.request_error:
                        await _send_error(operation, errors)
                        return
                    payload = NextMessagePayload(data=outcome.result.data)
                    if errors:
                        payload["errors"] = errors
                    if outcome.result.extensions:
                        payload["extensions"] = outcome.result.extensions
                    await operation.send_operation_message(
                        NextMessage(id=operation.id, type="next", payload=payload)
                    )
            await operation.send_operation_message(
                CompleteMessage(id=operation.id, type="complete")
            )
        except (UnknownOperationError, PersistedQueryError) as exc:
            await _send_error(operation, [_error(exc.message, exc.code, request_id)])
        except WebSocketDisconnected:
            return  # the client is gone; shutdown cancels what is left
        except Exception:  # noqa: BLE001 - a bug (or an extension's hook failed): masked
            _log.exception("a WebSocket operation failed (request id %s)", request_id)
            with contextlib.suppress(Exception):
                await _send_error(operation, [_error(_INTERNAL, INTERNAL_SERVER_ERROR, request_id)])

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._watchdog is None:
            user_id = self.context.caller.user_id
            if user_id is not None and self.context.token is not None:
                self._revocations = RevocationWatch(self.view.services.auth.revocations, user_id)
            self._watchdog = asyncio.create_task(self._watch())

    async def shutdown(self) -> None:
        if self._revocations is not None:
            self._revocations.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        await super().shutdown()

    async def _watch(self) -> None:
        context = self.context
        interval = self.view.limits.liveness_check_seconds
        while True:
            delay = interval
            if context.expires_at is not None:
                delay = min(delay, context.expires_at - time.time())
            if delay > 0:
                if self._revocations is None:
                    await asyncio.sleep(delay)
                else:
                    await self._revocations.wait(delay)  # early when one arrives
            if context.expires_at is not None and time.time() >= context.expires_at:
                await self.websocket.close(_FORBIDDEN, "Forbidden: the access token expired")
                return
            if not await self._still_allowed(context):
                await self.websocket.close(_FORBIDDEN, "Forbidden: the access was revoked")
                return

    async def _still_allowed(self, context: RequestContext) -> bool:
        """Re-verify the token (revoked? key retired?) and ask the user-active hook."""
        caller = context.caller
        if context.token is None or caller.kind != CallerKind.USER or not caller.user_id:
            return True
        try:
            self.view.services.authenticator.caller_for_token(context.token)
            check = self.view.is_user_active
            return check is None or await check(caller.user_id)
        except InvalidTokenError:
            return False
        except Exception:  # noqa: BLE001 - fail closed: unknown means not allowed
            _log.exception("the liveness check of a WebSocket connection failed")
            return False


async def _send_error(
    operation: Operation[RequestContext, None], errors: list[GraphQLFormattedError]
) -> None:
    """graphql-transport-ws ``error``: the operation failed before (or instead of) running."""
    await operation.send_operation_message(
        ErrorMessage(id=operation.id, type="error", payload=errors)
    )


def _error(message: str, code: str, request_id: str | None) -> GraphQLFormattedError:
    return {"message": message, "extensions": {"code": code, "requestId": request_id}}


def _well_formed(message: object) -> bool:
    """The shape PROTOCOL.md gives each message type (the type itself checked later)."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    kind = message["type"]
    if kind in ("subscribe", "complete") and not (
        isinstance(message.get("id"), str) and message["id"]
    ):
        return False
    if kind == "subscribe":
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return False
        query = payload.get("query")
        persisted = isinstance(payload.get("extensions"), dict) and (
            "persistedQuery" in payload["extensions"]
        )
        if not isinstance(query, str) and not (query is None and persisted):
            return False
        for name, kind_type in (("variables", dict), ("operationName", str), ("extensions", dict)):
            value = payload.get(name)
            if value is not None and not isinstance(value, kind_type):
                return False
    if kind in ("connection_init", "ping", "pong"):
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return False
    return True
