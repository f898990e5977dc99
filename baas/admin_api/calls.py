"""``/admin/calls``: every call of the app's task queue, as Temporal knows it.

GraphQL shows a user their own calls (``myCalls``, ``call``); an operator needs all of
them: which are running, which failed and why, which wait for an approval. This reads
Temporal's visibility (the app's task queue only) and, for one call, its input, result
or error, progress and whether it waits for an approval. It reads only: approving,
signalling, cancelling and starting go through GraphQL as the signed-in admin, under
the same rules as for anyone (approve as the target's rules grant; signal and cancel
the calls one started).

A call "waits for an approval" while its workflow has the approval signal's handler
installed (``wait_for_approval`` installs it for the duration of the wait), read from
the workflow's metadata query.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from auth.errors import InvalidRequestError, ItemNotFoundError
from baas.auth_routes.http import require_admin
from workflows import CallCancelledError, CallFailedError, configure_client, result
from workflows.availability import unavailable_when_unreachable
from workflows.client import STARTER_MEMO, TARGET_MEMO
from workflows.signals import APPROVAL_SIGNAL

if TYPE_CHECKING:
    from baas.services import Services

__all__ = ["call_routes"]

_STATUSES = {
    "running": "Running",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Canceled",
    "terminated": "Terminated",
    "timed_out": "TimedOut",
}
_MAX_PAGE = 100
_QUERY_SECONDS = 2.0
_NO_STORE = {"Cache-Control": "no-store"}


def call_routes(services: Services) -> list[BaseRoute]:
    async def client() -> Client:
        with unavailable_when_unreachable():
            return configure_client(await services.temporal.client())

    async def list_calls(request: Request) -> Response:
        require_admin(request)
        params = request.query_params
        status = params.get("status", "")
        if status and status not in _STATUSES:
            raise InvalidRequestError(f"status is one of {', '.join(_STATUSES)}.")
        raw_limit = params.get("limit", "25")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= _MAX_PAGE:
            raise InvalidRequestError(f"limit must be a whole number from 1 to {_MAX_PAGE}.")
        # The task queue comes from the settings, never from the request: no injection
        # into Temporal's query language (and its name is checked when it is read).
        query = f"TaskQueue = '{services.settings.task_queue}'"
        if status:
            query += f" AND ExecutionStatus = '{_STATUSES[status]}'"
        token = _page_token(params.get("next"))
        temporal = await client()
        with unavailable_when_unreachable():
            listing = temporal.list_workflows(
                query, page_size=int(raw_limit), next_page_token=token
            )
            await listing.fetch_next_page()
        executions = listing.current_page or []
        after = listing.next_page_token
        return JSONResponse(
            {
                "calls": [await _summary(execution) for execution in executions],
                "next": base64.urlsafe_b64encode(after).decode() if after else None,
            },
            headers=_NO_STORE,
        )

    async def get_call(request: Request) -> Response:
        require_admin(request)
        call_id = request.path_params["call_id"]
        temporal = await client()
        handle = temporal.get_workflow_handle(call_id)
        try:
            with unavailable_when_unreachable():
                description = await handle.describe()
                history = await handle.fetch_history_events(page_size=1).__anext__()
        except RPCError as exc:
            if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise ItemNotFoundError("No such call.") from exc
            raise
        if description.task_queue != services.settings.task_queue:
            raise ItemNotFoundError("No such call.")  # another app's, on a shared server
        view = await _summary(description)
        view["input"] = await _input(temporal, history)
        running = description.status == WorkflowExecutionStatus.RUNNING
        if running:
            view["awaiting_approval"], view["progress"] = await _live_state(temporal, call_id)
        else:
            view["result"], view["error"] = await _outcome(temporal, call_id)
        return JSONResponse(view, headers=_NO_STORE)

    return [
        Route("/admin/calls", list_calls, methods=["GET"]),
        Route("/admin/calls/{call_id}", get_call, methods=["GET"]),
    ]


def _page_token(raw: str | None) -> bytes | None:
    if not raw:
        return None
    try:
        return base64.urlsafe_b64decode(raw.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidRequestError("next is not a page token of this API.") from None


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _summary(execution: WorkflowExecution) -> dict[str, Any]:
    memo: Mapping[str, Any] = {}
    with contextlib.suppress(Exception):  # a memo another client wrote in another encoding
        memo = await execution.memo()
    status = execution.status.name.lower() if execution.status else "unknown"
    return {
        "id": execution.id,
        "workflow_type": execution.workflow_type,
        "target": str(memo.get(TARGET_MEMO, execution.workflow_type)),
        "started_by": memo.get(STARTER_MEMO),
        "status": "cancelled" if status == "canceled" else status,
        "started_at": _time(execution.start_time),
        "closed_at": _time(execution.close_time),
    }


async def _input(temporal: Client, first_event: Any) -> Any:
    """The call's input as JSON: the workflow's argument (a function call's second one,
    after the function's name)."""
    attributes = first_event.workflow_execution_started_event_attributes
    payloads = list(attributes.input.payloads)
    if not payloads:
        return None
    try:
        values = await temporal.data_converter.decode(payloads)
    except Exception:  # noqa: BLE001 - shown as unreadable rather than failing the page
        return {"unreadable": "the input is not in baas's encoding"}
    value = values[-1]
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (dataclasses and pydantic models as objects)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _jsonable(dump(mode="json"))
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


async def _live_state(temporal: Client, call_id: str) -> tuple[bool, Any]:
    """Whether the running call waits for an approval, and its progress (None if it
    answers no ``progress`` query)."""
    handle = temporal.get_workflow_handle(call_id)

    async def metadata() -> bool:
        answer = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        return any(
            signal.name == APPROVAL_SIGNAL for signal in answer.definition.signal_definitions
        )

    async def progress() -> Any:
        return _jsonable(await handle.query("progress"))

    waiting: bool | BaseException
    current: Any
    waiting, current = await asyncio.gather(
        asyncio.wait_for(metadata(), _QUERY_SECONDS),
        asyncio.wait_for(progress(), _QUERY_SECONDS),
        return_exceptions=True,
    )
    # A worker that is down, or a workflow without the query: nothing known, not an error.
    return waiting is True, None if isinstance(current, BaseException) else current


async def _outcome(temporal: Client, call_id: str) -> tuple[Any, dict[str, str] | None]:
    """The finished call's result, or its error (code and message)."""
    try:
        return _jsonable(await result(temporal, call_id)), None
    except (CallFailedError, CallCancelledError) as exc:
        return None, {"code": exc.code, "message": exc.message}
