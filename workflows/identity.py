"""Caller identity in Temporal headers: client → workflow → activity (→ child workflow).

:class:`CallerInterceptor` is both a client and a worker interceptor, in the manner of
temporalio's context-propagation sample:

* client outbound: ``start_workflow`` and ``signal_workflow`` add a ``baas-caller``
  header with the caller in effect (:func:`functions.identity.acting_as`);
* workflow inbound: ``execute_workflow`` reads it into the ContextVar, so the workflow
  and every task it spawns act for that caller; a signal handler sees *its* sender;
* workflow outbound: activities, local activities, child workflows and continue-as-new
  carry the header on;
* activity inbound: ``execute_activity`` reads it into the ContextVar, where the
  function runtime builds ``ctx.caller`` from it.

Trust boundary: whoever can talk to Temporal can claim any caller. Only baas processes
(the API, which sets the caller from a verified token, and workers) may reach it.
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`, `next`)

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NoReturn

import temporalio.converter
from temporalio import client, worker, workflow
from temporalio.api.common.v1 import Payload

from functions.identity import (
    CALLER_HEADER,
    Caller,
    caller_from_wire,
    caller_to_wire,
    explicit_caller,
    set_caller,
)

__all__ = ["CallerInterceptor", "caller_header"]

_log = logging.getLogger("baas.workflows")


def caller_header(caller: Caller) -> dict[str, Payload]:
    """The header map that carries ``caller`` (used directly by schedules)."""
    converter = temporalio.converter.default().payload_converter
    return {CALLER_HEADER: converter.to_payloads([caller_to_wire(caller)])[0]}


def _with_caller(headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
    """``headers`` plus the current caller, if one was set in this context."""
    caller = explicit_caller()
    if caller is None:
        return headers
    return {**headers, **caller_header(caller)}


def _read_caller(headers: Mapping[str, Payload]) -> Caller | None:
    payload = headers.get(CALLER_HEADER)
    if payload is None:
        return None
    converter = temporalio.converter.default().payload_converter
    try:
        [data] = converter.from_payloads([payload], [dict])
        return caller_from_wire(data)
    except (ValueError, TypeError):
        # Fail closed: a header we cannot read grants nothing (anonymous), never system.
        _log.warning("ignored a malformed %s header", CALLER_HEADER)
        return None


class CallerInterceptor(client.Interceptor, worker.Interceptor):
    """Propagates the caller; install it on the client (it then applies to the worker)."""

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientOutbound(next)

    def intercept_activity(
        self, next: worker.ActivityInboundInterceptor
    ) -> worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        return _WorkflowInbound


class _ClientOutbound(client.OutboundInterceptor):
    async def start_workflow(
        self, input: client.StartWorkflowInput
    ) -> client.WorkflowHandle[Any, Any]:
        input.headers = _with_caller(input.headers)
        return await super().start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        input.headers = _with_caller(input.headers)
        await super().signal_workflow(input)


class _ActivityInbound(worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        set_caller(_read_caller(input.headers))
        return await super().execute_activity(input)


class _WorkflowInbound(worker.WorkflowInboundInterceptor):
    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        set_caller(_read_caller(input.headers))
        return await super().execute_workflow(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        # Each signal runs in its own task, so this names the signal's sender for its
        # handler without changing who the workflow acts for.
        set_caller(_read_caller(input.headers))
        await super().handle_signal(input)


class _WorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def start_activity(self, input: worker.StartActivityInput) -> workflow.ActivityHandle[Any]:
        input.headers = _with_caller(input.headers)
        return super().start_activity(input)

    def start_local_activity(
        self, input: worker.StartLocalActivityInput
    ) -> workflow.ActivityHandle[Any]:
        input.headers = _with_caller(input.headers)
        return super().start_local_activity(input)

    async def start_child_workflow(
        self, input: worker.StartChildWorkflowInput
    ) -> workflow.ChildWorkflowHandle[Any, Any]:
        input.headers = _with_caller(input.headers)
        return await super().start_child_workflow(input)

    def continue_as_new(self, input: worker.ContinueAsNewInput) -> NoReturn:
        input.headers = _with_caller(input.headers)
        super().continue_as_new(input)
