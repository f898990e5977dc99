"""Caller identity in Temporal headers: client → workflow → activity (→ child workflow).

:class:`CallerInterceptor` is the client side, in the manner of temporalio's
context-propagation sample: ``start_workflow`` and ``signal_workflow`` add a
``baas-caller`` header with the caller in effect (:func:`functions.identity.acting_as`).
The worker side, which reads the header in workflows and activities and carries it on,
is :mod:`workflows.worker_identity`.

Trust boundary: whoever can talk to Temporal can claim any caller. Only baas processes
(the API, which sets the caller from a verified token, and workers) may reach it.
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`, `next`)

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import temporalio.converter
from temporalio import client
from temporalio.api.common.v1 import Payload

from functions.identity import (
    CALLER_HEADER,
    Caller,
    caller_from_wire,
    caller_to_wire,
    explicit_caller,
)

__all__ = ["CallerInterceptor", "caller_header", "read_caller", "with_caller"]

_log = logging.getLogger("baas.workflows")


def caller_header(caller: Caller) -> dict[str, Payload]:
    """The header map that carries ``caller`` (used directly by schedules)."""
    converter = temporalio.converter.default().payload_converter
    return {CALLER_HEADER: converter.to_payloads([caller_to_wire(caller)])[0]}


def with_caller(headers: Mapping[str, Payload]) -> Mapping[str, Payload]:
    """``headers`` plus the current caller, if one was set in this context."""
    caller = explicit_caller()
    if caller is None:
        return headers
    return {**headers, **caller_header(caller)}


def read_caller(headers: Mapping[str, Payload]) -> Caller | None:
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


class CallerInterceptor(client.Interceptor):
    """Adds the caller to the workflows a client starts and the signals it sends.

    Its worker side is :class:`workflows.worker_identity.CallerWorkerInterceptor`,
    which :func:`workflows.worker.create_worker` installs (kept apart so that an API
    process, which only starts workflows, never imports the worker stack).
    """

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientOutbound(next)


class _ClientOutbound(client.OutboundInterceptor):
    async def start_workflow(
        self, input: client.StartWorkflowInput
    ) -> client.WorkflowHandle[Any, Any]:
        input.headers = with_caller(input.headers)
        return await super().start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        input.headers = with_caller(input.headers)
        await super().signal_workflow(input)
