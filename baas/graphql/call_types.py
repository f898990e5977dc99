"""The GraphQL shape of a *call* (one workflow execution) and the errors of call fields.

::

    enum CallStatus { RUNNING COMPLETED FAILED CANCELLED TERMINATED TIMED_OUT CONTINUED_AS_NEW }
    type CallError { code: String!  message: String! }
    type Call { id: ID!  target: String!  status: CallStatus!  result: JSON  error: CallError }
    type CallProgress { status: CallStatus!  progress: JSON }
    type CallPage { items: [Call!]!  nextToken: String }

``result`` and ``error`` are fetched from Temporal only when selected, once per call
object. Errors of the call fields (codes are stable API)::

    GraphQLApiError
    ├── CallNotFoundApiError     NOT_FOUND          no such call, or not yours
    ├── CallInputError           VALIDATION         the input does not fit the target's type
    ├── CallPayloadTooLargeError PAYLOAD_TOO_LARGE  an input or signal payload above the limit
    └── CallNotRunningError      CALL_NOT_RUNNING   a signal to a call that has finished
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.scalars import JSON

from baas.graphql.errors import GraphQLApiError
from workflows.client import CallStatus, status_of

__all__ = [
    "CallError",
    "CallInputError",
    "CallNotFoundApiError",
    "CallNotRunningError",
    "CallOutcome",
    "CallPage",
    "CallPayloadTooLargeError",
    "CallProgress",
    "CallState",
    "CallView",
    "state_of",
]


# The client API's status (workflows.client.CallStatus), exposed as a GraphQL enum.
strawberry.enum(CallStatus, name="CallStatus", description="Where a call is in its life.")
CallState = CallStatus
state_of = status_of


@strawberry.type(description="Why a call failed: a stable code and a safe message.")
class CallError:
    code: str
    message: str


Outcome = tuple[Any, CallError | None]


class CallOutcome:
    """A call's result or error, fetched at most once, and only when asked for."""

    def __init__(self, fetch: Callable[[], Awaitable[Outcome]] | None) -> None:
        self._fetch = fetch
        self._task: asyncio.Task[Outcome] | None = None

    @classmethod
    def known(cls, value: Any, error: CallError | None) -> CallOutcome:
        """An outcome already at hand (a call that was waited for)."""

        async def fetch() -> Outcome:
            return value, error

        return cls(fetch)

    async def get(self) -> Outcome:
        if self._fetch is None:  # still running: nothing to fetch
            return None, None
        if self._task is None:  # `result` and `error` share one fetch
            self._task = asyncio.ensure_future(self._fetch())
        return await self._task


async def _call_result(root: CallView) -> JSON | None:
    value: JSON | None = (await root.outcome.get())[0]
    return value


async def _call_error(root: CallView) -> CallError | None:
    return (await root.outcome.get())[1]


@strawberry.type(
    name="Call",
    description="One invocation of a workflow or function (a Temporal workflow execution).",
)
class CallView:
    id: strawberry.ID = strawberry.field(description="The call id, to query, watch or signal.")
    target: str = strawberry.field(description="The workflow type or function name it runs.")
    status: CallState
    outcome: strawberry.Private[CallOutcome]
    result: JSON | None = strawberry.field(
        resolver=_call_result, description="The result once the call COMPLETED, else null."
    )
    error: CallError | None = strawberry.field(
        resolver=_call_error, description="Why the call did not complete, once it ended."
    )


@strawberry.type(description="A page of your calls, newest first.")
class CallPage:
    items: list[CallView]
    next_token: str | None = strawberry.field(
        description="Pass it back as nextToken for the next page; null on the last page."
    )


@strawberry.type(description="A change in a call's life, as onCallProgress reports it.")
class CallProgress:
    status: CallState
    progress: JSON | None = strawberry.field(
        description="The workflow's `progress` query answer while it runs (null without one)."
    )


class CallNotFoundApiError(GraphQLApiError):
    """One answer for a missing call and another user's: ids are not probed."""

    code = "NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("No call with this id.")


class CallInputError(GraphQLApiError):
    """The input (or an argument) cannot start this call."""

    code = "VALIDATION"


class CallPayloadTooLargeError(GraphQLApiError):
    """An input or payload above the documented size limit."""

    code = "PAYLOAD_TOO_LARGE"


class CallNotRunningError(GraphQLApiError):
    """The call has finished: it takes no signal, approval or cancellation."""

    code = "CALL_NOT_RUNNING"

    def __init__(self) -> None:
        super().__init__("The call is no longer running.")
