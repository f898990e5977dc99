"""A round-trip probe: proves that a worker is polling the task queue.

``baas`` always registers it, so an operator (or a test) can check the whole path
client → Temporal → worker → Temporal → client without knowing the application.
"""

from __future__ import annotations

from temporalio import workflow

__all__ = ["PingWorkflow"]


@workflow.defn(name="baas.Ping")
class PingWorkflow:
    """Answers its input unchanged."""

    @workflow.run
    async def run(self, message: str) -> str:
        return message
