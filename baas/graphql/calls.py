"""The Temporal side of the call fields: start, read, signal, approve, cancel, watch.

Every operation acts for the request's caller and enforces, in this order:

- **start**: the target's rules grant ``start`` (``app.workflow(..., rules=[...])``);
  the JSON input fits under the size limit and converts to the target's input type;
- **read, signal, cancel, watch**: the caller started the call. Starts record the
  starter in the workflow's memo (``workflows.client.STARTER_MEMO``); anyone else —
  admins included — is answered ``NOT_FOUND``, as for an id that does not exist, so
  call ids cannot be probed;
- **approve**: the target's rules grant ``approve`` — a group or every signed-in user
  for anyone's call, ``allow_call.owner(operations=["approve"])`` for the starter's own;
- **list** (``myCalls``): the caller's own calls, newest first, from the record kept
  when they started them (:mod:`baas.call_log`); the page token is bound to the caller.

Anonymous callers may start what a ``public`` rule allows, but own no calls: they can
wait for the result (``wait: true``) and never read a call later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from typing import Any

import strawberry
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.service import RPCError, RPCStatusCode

from auth.errors import AccessDeniedError
from auth.rules import Caller, CallerKind, Effect, decide
from baas.application import CALL_OPERATIONS, Invocable
from baas.call_log import calls_of, record_call
from baas.graphql.call_types import (
    CallError,
    CallInputError,
    CallNotFoundApiError,
    CallNotRunningError,
    CallOutcome,
    CallPage,
    CallPayloadTooLargeError,
    CallProgress,
    CallState,
    CallView,
    Outcome,
    state_of,
)
from baas.graphql.call_values import camel_case_fields, python_field_names
from baas.graphql.context import RequestContext
from baas.graphql.page_tokens import PageBinding, PageTokens
from functions import Function
from functions.errors import InvalidInputError, PayloadTooLargeError
from functions.payloads import DEFAULT_MAX_PAYLOAD_BYTES, check_payload_size
from storage.errors import StorageError
from workflows import (
    CallCancelledError,
    CallFailedError,
    CallNotFoundError,
    approve,
    cancel,
    configure_client,
    result,
    signal,
    start_call,
)
from workflows.availability import unavailable_when_unreachable
from workflows.client import STARTER_MEMO, TARGET_MEMO
from workflows.definitions import workflow_definition

__all__ = ["Calls"]

_log = logging.getLogger("baas.graphql")

SYNC_WAIT_SECONDS = 30.0
"""``wait: true`` answers with the running call after this long (poll it, or watch it)."""
PROGRESS_QUERY = "progress"
MAX_CALLS_PAGE = 100
_MAX_KEY_LENGTH = 256
_MAX_ID_LENGTH = 256
_RESERVED_SIGNAL_PREFIX = "baas."


class Calls:
    """The call operations of one schema, over the app's invocable targets."""

    def __init__(
        self,
        invocables: Mapping[str, Invocable],
        *,
        tokens: Callable[[], Awaitable[PageTokens]] | None = None,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        sync_wait_seconds: float = SYNC_WAIT_SECONDS,
        poll_seconds: float = 0.5,
    ) -> None:
        self.invocables = dict(invocables)
        self.tokens = tokens
        self.max_payload_bytes = max_payload_bytes
        self.sync_wait_seconds = sync_wait_seconds
        self.poll_seconds = poll_seconds
        self._clients: tuple[Client, Client] | None = None

    async def start(
        self,
        context: RequestContext,
        invocable: Invocable,
        value: Any,
        idempotency_key: str | None,
        *,
        wait: bool,
    ) -> CallView:
        """Start ``invocable`` on the JSON ``value``; wait for its outcome when asked."""
        caller = context.caller
        decision = decide(invocable.rules, caller, "start", known_operations=CALL_OPERATIONS)
        if decision.effect != Effect.ALLOWED:
            raise AccessDeniedError()
        if idempotency_key is not None:
            # Anonymous callers share one identity: one's key would find another's call.
            if caller.kind != CallerKind.USER:
                raise CallInputError("idempotencyKey needs a signed-in caller.")
            if not 0 < len(idempotency_key) <= _MAX_KEY_LENGTH:
                raise CallInputError(f"idempotencyKey takes 1 to {_MAX_KEY_LENGTH} characters.")
        client = await self.client(context)
        inp = self.decode(client, invocable, value)
        try:
            call_id = await start_call(
                client, invocable.target, inp, caller,
                task_queue=context.services.settings.task_queue,
                idempotency_key=idempotency_key, max_payload_bytes=self.max_payload_bytes,
            )  # fmt: skip
        except PayloadTooLargeError as exc:  # re-encoded larger than the JSON was
            raise CallPayloadTooLargeError(exc.message) from exc
        except InvalidInputError as exc:
            raise CallInputError(exc.message) from exc
        if caller.kind == CallerKind.USER and caller.user_id is not None:
            await self._record(context, caller.user_id, call_id, invocable.name)
        if wait:
            return await self._wait(client, call_id, invocable.name)
        if idempotency_key is not None:  # an existing call may be further along
            return await self.get(context, call_id)
        return CallView(
            id=strawberry.ID(call_id),
            target=invocable.name,
            status=CallState.RUNNING,
            outcome=CallOutcome(None),
        )

    async def get(self, context: RequestContext, call_id: str) -> CallView:
        """The caller's own call ``call_id``; NOT_FOUND for anyone else's."""
        client = await self.client(context)
        description, memo = await self._own(client, context.caller, call_id)
        return self._view(client, description, memo)

    async def mine(self, context: RequestContext, limit: int, next_token: str | None) -> CallPage:
        """A page of the caller's own calls, newest first (none for anonymous callers)."""
        caller = context.caller
        if not 1 <= limit <= MAX_CALLS_PAGE:
            raise CallInputError(f"limit must be between 1 and {MAX_CALLS_PAGE}.")
        if caller.kind != CallerKind.USER or caller.user_id is None or self.tokens is None:
            return CallPage(items=[], next_token=None)
        tokens = await self.tokens()
        binding = PageBinding("_calls", "by_started", caller, {})
        start = None if next_token is None else tokens.open(next_token, binding)
        records, last = await calls_of(context.services.store, caller.user_id, limit, start)
        client = await self.client(context)
        found = await asyncio.gather(
            *(self._describe(client, record.call_id) for record in records),
            return_exceptions=True,
        )
        views: list[CallView] = []
        for outcome in found:
            if isinstance(outcome, CallNotFoundApiError):
                continue  # Temporal no longer keeps it (past the namespace's retention)
            if isinstance(outcome, BaseException):
                raise outcome
            views.append(self._view(client, *outcome))
        return CallPage(
            items=views, next_token=None if last is None else tokens.issue(last, binding)
        )

    async def signal(
        self, context: RequestContext, call_id: str, name: str, payload: Any
    ) -> CallView:
        """Send signal ``name`` to the caller's own running call."""
        # Threat: a starter approving their own call through a raw signal, past the
        # approve rules. baas's own signals go through their own mutations only.
        if name.startswith(_RESERVED_SIGNAL_PREFIX) or not name:
            raise CallInputError(
                f"signal names starting with {_RESERVED_SIGNAL_PREFIX!r} are reserved."
            )
        client = await self.client(context)
        description, memo = await self._own(client, context.caller, call_id)
        self._size_check(client, payload, f"the payload of signal {name!r}")
        await self._while_running(
            description, signal(client, call_id, name, payload, context.caller)
        )
        return self._view(client, description, memo)

    async def approve(
        self, context: RequestContext, call_id: str, approved: bool, comment: str
    ) -> CallView:
        """Answer a call waiting for approval, if the target's rules allow the caller."""
        caller = context.caller
        client = await self.client(context)
        description, memo = await self._describe(client, call_id)
        is_starter = _is_starter(caller, memo)
        invocable = self.invocables.get(str(memo.get(TARGET_MEMO)))
        rules = invocable.rules if invocable else ()
        effect = decide(rules, caller, "approve", known_operations=CALL_OPERATIONS).effect
        if not (effect == Effect.ALLOWED or (effect == Effect.OWNER_ONLY and is_starter)):
            if is_starter:
                raise AccessDeniedError()
            raise CallNotFoundApiError()
        sent = approve(client, call_id, caller, approved=approved, comment=comment)
        await self._while_running(description, sent)
        return self._view(client, description, memo)

    async def cancel(self, context: RequestContext, call_id: str) -> CallView:
        """Ask the caller's own call to stop (a saga in it compensates first)."""
        client = await self.client(context)
        description, memo = await self._own(client, context.caller, call_id)
        await self._while_running(description, cancel(client, call_id))
        return self._view(client, description, memo)

    async def progress(self, context: RequestContext, call_id: str) -> AsyncIterator[CallProgress]:
        """Status and ``progress`` of the caller's own call on each change, until it ends."""
        client = await self.client(context)
        description, memo = await self._own(client, context.caller, call_id)
        queryable, progress_type = self._progress_query(memo)
        handle = client.get_workflow_handle(call_id)
        last: tuple[CallState, Any] | None = None
        progress: Any = None
        while True:
            state = state_of(description.status)
            if queryable:  # once more after the end: the final stage
                progress = await self._query_progress(client, call_id, progress, progress_type)
            if (state, progress) != last:
                last = (state, progress)
                yield CallProgress(status=state, progress=progress)
            if state != CallState.RUNNING:
                return
            await asyncio.sleep(self.poll_seconds)
            with unavailable_when_unreachable():
                description = await handle.describe()

    # --- the parts ---------------------------------------------------------------

    @staticmethod
    async def _record(context: RequestContext, owner: str, call_id: str, target: str) -> None:
        """Add the call to the owner's list; the call runs even if this fails."""
        try:
            await record_call(context.services.store, owner, call_id, target)
        except StorageError:
            _log.warning("call %s started but not recorded for myCalls", call_id, exc_info=True)

    async def client(self, context: RequestContext) -> Client:
        """The Temporal client, with baas's data converter (made once per base client)."""
        base = await context.services.temporal.client()
        if self._clients is None or self._clients[0] is not base:
            self._clients = (base, configure_client(base))
        return self._clients[1]

    def decode(self, client: Client, invocable: Invocable, value: Any) -> Any:
        """The JSON ``value`` as ``invocable``'s input type (``VALIDATION`` if it does not
        fit, ``PAYLOAD_TOO_LARGE`` above the size limit)."""
        converter = client.data_converter.payload_converter
        value = python_field_names(value, invocable.input_type)
        payload = self._size_check(client, value, f"the input of {invocable.name!r}")
        try:
            return converter.from_payloads([payload], [invocable.input_type])[0]
        except (TypeError, ValueError) as exc:
            raise CallInputError(_input_problem(invocable, exc)) from exc

    def _size_check(self, client: Client, value: Any, what: str) -> Any:
        payload = client.data_converter.payload_converter.to_payloads([value])[0]
        try:
            check_payload_size(payload, self.max_payload_bytes, what)
        except PayloadTooLargeError as exc:
            raise CallPayloadTooLargeError(exc.message) from exc
        return payload

    async def _describe(
        self, client: Client, call_id: str
    ) -> tuple[WorkflowExecutionDescription, Mapping[str, Any]]:
        if not 0 < len(call_id) <= _MAX_ID_LENGTH:
            raise CallNotFoundApiError()
        try:
            with unavailable_when_unreachable():
                description = await client.get_workflow_handle(call_id).describe()
        except RPCError as exc:
            if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise CallNotFoundApiError() from exc
            raise
        return description, await description.memo()

    async def _own(
        self, client: Client, caller: Caller, call_id: str
    ) -> tuple[WorkflowExecutionDescription, Mapping[str, Any]]:
        description, memo = await self._describe(client, call_id)
        if not _is_starter(caller, memo):
            raise CallNotFoundApiError()
        return description, memo

    def _view(
        self, client: Client, description: WorkflowExecutionDescription, memo: Mapping[str, Any]
    ) -> CallView:
        state = state_of(description.status)
        call_id = description.id
        target = str(memo.get(TARGET_MEMO, description.workflow_type))
        output_type = self._output_type(target)

        async def fetch() -> Outcome:
            return await _outcome(client, call_id, output_type)

        return CallView(
            id=strawberry.ID(call_id),
            target=target,
            status=state,
            outcome=CallOutcome(None if state == CallState.RUNNING else fetch),
        )

    async def _wait(self, client: Client, call_id: str, target: str) -> CallView:
        try:
            value, error = await asyncio.wait_for(
                _outcome(client, call_id, self._output_type(target)), self.sync_wait_seconds
            )
        except TimeoutError:
            return CallView(
                id=strawberry.ID(call_id),
                target=target,
                status=CallState.RUNNING,
                outcome=CallOutcome(None),
            )
        if error is None:
            status = CallState.COMPLETED
        elif error.code == CallCancelledError.code:
            status = CallState.CANCELLED
        else:
            status = CallState.FAILED
        return CallView(
            id=strawberry.ID(call_id),
            target=target,
            status=status,
            outcome=CallOutcome.known(value, error),
        )

    @staticmethod
    async def _while_running(
        description: WorkflowExecutionDescription, action: Coroutine[Any, Any, None]
    ) -> None:
        if state_of(description.status) != CallState.RUNNING:
            action.close()  # the coroutine is never awaited
            raise CallNotRunningError()
        try:
            await action
        except CallNotFoundError as exc:  # it ended between the describe and the action
            raise CallNotRunningError() from exc

    def _progress_query(self, memo: Mapping[str, Any]) -> tuple[bool, Any]:
        """Whether the call's workflow answers ``progress``, and the answer's type."""
        invocable = self.invocables.get(str(memo.get(TARGET_MEMO)))
        if invocable is None or not isinstance(invocable.target, type):
            return False, None
        definition = workflow_definition(invocable.target)
        if definition is None or PROGRESS_QUERY not in definition.queries:
            return False, None
        return True, definition.query_types.get(PROGRESS_QUERY)

    def _output_type(self, target: str) -> Any:
        """The declared type of ``target``'s result (None if unknown): its field names
        are shown camel-cased (:mod:`baas.graphql.call_values`)."""
        invocable = self.invocables.get(target)
        if invocable is None:
            return None
        if isinstance(invocable.target, Function):
            return invocable.target.output_type
        definition = workflow_definition(invocable.target)
        return definition.ret_type if definition else None

    async def _query_progress(self, client: Client, call_id: str, last: Any, hint: Any) -> Any:
        try:
            answer = await asyncio.wait_for(
                client.get_workflow_handle(call_id).query(PROGRESS_QUERY), timeout=2.0
            )
        except Exception:  # noqa: BLE001 - a failed query keeps the last known answer
            return last
        return camel_case_fields(answer, hint)


async def _outcome(client: Client, call_id: str, output_type: Any) -> Outcome:
    """The finished call's (result, None) or (None, error); waits while it runs.

    The result is JSON, with the output type's field names in camelCase as everywhere in
    GraphQL.
    """
    try:
        return camel_case_fields(await result(client, call_id), output_type), None
    except CallFailedError as exc:
        return None, CallError(code=exc.code, message=exc.message)
    except CallCancelledError as exc:
        return None, CallError(code=exc.code, message=exc.message)


def _is_starter(caller: Caller, memo: Mapping[str, Any]) -> bool:
    return caller.kind == CallerKind.USER and memo.get(STARTER_MEMO) == caller.user_id


def _input_problem(invocable: Invocable, exc: Exception) -> str:
    """A safe account of why the input does not fit (field paths and reasons only)."""
    errors = getattr(exc, "errors", None)
    problems: list[str] = []
    if callable(errors):
        for error in errors(include_input=False, include_url=False)[:5]:
            where = ".".join(str(part) for part in error.get("loc", ())) or "input"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
    detail = "; ".join(problems) or "it does not match the expected shape"
    return f"The input does not fit {invocable.name}'s {invocable.input_type.__name__}: {detail}."
