"""The root fields that start and follow calls of the app's invocable workflows and functions.

A workflow or function registered with rules (``app.workflow(cls, rules=[...])``,
``app.function(fn, rules=[...])``, see :data:`baas.application.allow_call`) gets a
start mutation; the call fields are there as soon as one target is invocable::

    type Mutation {
      startArchiveBoard(input: JSON!, idempotencyKey: String, wait: Boolean! = false): Call!
      startReserveBoard(input: JSON!, idempotencyKey: String, wait: Boolean! = false): Call!
      signalCall(id: ID!, name: String!, payload: JSON): Call!
      approveCall(id: ID!, approved: Boolean!, comment: String): Call!
      cancelCall(id: ID!): Call!
    }
    type Query { call(id: ID!): Call  myCalls(limit: Int! = 20, nextToken: String): CallPage! }
    type Subscription { onCallProgress(id: ID!): CallProgress! }

The start mutation is named after the workflow class without its ``Workflow`` suffix
(``ArchiveBoardWorkflow`` -> ``startArchiveBoard``) or after the function's name
(``reserve_board`` -> ``startReserveBoard``). ``input`` is the target's input as JSON,
converted to its dataclass or pydantic model. ``wait: false`` (async) answers at once
with the call id; ``wait: true`` (sync) answers when the call ends (or after
``SYNC_WAIT_SECONDS``, still RUNNING). Types and errors: :mod:`baas.graphql.call_types`;
who may do what: :mod:`baas.graphql.calls`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from baas.application import App, Invocable
from baas.graphql.arguments import param, with_signature
from baas.graphql.call_types import CallPage, CallProgress, CallView
from baas.graphql.calls import Calls
from baas.graphql.context import RequestContext
from baas.graphql.model_types import async_iterator_of, optional
from baas.graphql.names import snake_name
from baas.graphql.page_tokens import PageTokens
from baas.graphql.root_fields import RootField, declare_field

__all__ = ["invocation_fields", "start_field_name"]


def start_field_name(invocable: Invocable) -> str:
    """The Python name of the start mutation (Strawberry camel-cases it)."""
    if isinstance(invocable.target, type):
        base = snake_name(invocable.target.__name__.removesuffix("Workflow"))
    else:
        base = re.sub(r"\W+", "_", invocable.name).strip("_").lower()
    return f"start_{base}"


def invocation_fields(
    app: App | None,
    calls: Calls | None = None,
    tokens: Callable[[], Awaitable[PageTokens]] | None = None,
) -> list[RootField]:
    """The call fields of ``app`` (none when no target is invocable).

    ``tokens`` sign ``myCalls``' page tokens (without them it answers empty pages).
    """
    if app is None or not app.invocables:
        return []
    calls = calls or Calls(app.invocables, tokens=tokens)
    fields = [_start(calls, invocable) for invocable in app.invocables.values()]
    return [
        *fields,
        _call(calls),
        _my_calls(calls),
        _signal(calls),
        _approve(calls),
        _cancel(calls),
        _on_progress(calls),
    ]


_ID = param("id", strawberry.ID)


def _start(calls: Calls, invocable: Invocable) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> CallView:
        return await calls.start(
            context,
            invocable,
            args["input"],
            args.get("idempotency_key"),
            wait=bool(args.get("wait")),
        )

    params = [
        param("input", JSON),
        param("idempotency_key", optional(str), None),
        param("wait", bool, False),
    ]
    return declare_field(
        "mutation", start_field_name(invocable), None, run, params, None, CallView,
        f"Start {invocable.name} on `input` (JSON of {invocable.input_type.__name__}). "
        "wait: true answers when it ends; the same idempotencyKey returns the same call.",
    )  # fmt: skip


def _call(calls: Calls) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> CallView:
        return await calls.get(context, args["id"])

    return declare_field(
        "query", "call", None, run, [_ID], None, optional(CallView),
        "One of your calls by id (NOT_FOUND for anyone else's).",
    )  # fmt: skip


def _my_calls(calls: Calls) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> CallPage:
        return await calls.mine(context, int(args["limit"]), args.get("next_token"))

    params = [param("limit", int, 20), param("next_token", optional(str), None)]
    return declare_field(
        "query", "my_calls", None, run, params, None, CallPage,
        "Your calls, newest first (the ones you started; none when signed out).",
    )  # fmt: skip


def _signal(calls: Calls) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> CallView:
        return await calls.signal(context, args["id"], args["name"], args.get("payload"))

    params = [_ID, param("name", str), param("payload", optional(JSON), None)]
    return declare_field(
        "mutation", "signal_call", None, run, params, None, CallView,
        "Send a signal (with an optional JSON payload) to one of your running calls.",
    )  # fmt: skip


def _approve(calls: Calls) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> CallView:
        comment = args.get("comment") or ""
        return await calls.approve(context, args["id"], bool(args["approved"]), comment)

    params = [_ID, param("approved", bool), param("comment", optional(str), None)]
    return declare_field(
        "mutation", "approve_call", None, run, params, None, CallView,
        "Approve or reject a call waiting for approval, as its workflow's rules allow.",
    )  # fmt: skip


def _cancel(calls: Calls) -> RootField:
    async def run(context: RequestContext, args: dict[str, Any]) -> CallView:
        return await calls.cancel(context, args["id"])

    return declare_field(
        "mutation", "cancel_call", None, run, [_ID], None, CallView,
        "Ask one of your running calls to stop (its compensations run first).",
    )  # fmt: skip


def _on_progress(calls: Calls) -> RootField:
    async def subscribe(info: Info, **args: Any) -> AsyncIterator[CallProgress]:
        async for event in calls.progress(info.context, args["id"]):
            yield event

    name = "on_call_progress"
    resolver = with_signature(name, subscribe, [_ID], async_iterator_of(CallProgress))
    description = "Status and progress of one of your calls on each change; ends with the call."
    return RootField(
        "subscription",
        name,
        strawberry.subscription(resolver=resolver, description=description),
        None,
    )
