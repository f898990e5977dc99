"""``/healthz``: can this API process reach what it depends on?

Each dependency contributes a named probe that returns None when healthy or a short,
safe reason. All probes run concurrently with a deadline; the answer is 200 when every
probe passed and 503 otherwise, with the reasons in the body for the operator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = ["Probe", "health_endpoint"]

Probe = Callable[[], Awaitable[str | None]]
_log = logging.getLogger("baas.health")
_DEADLINE_SECONDS = 3.0


async def _run(name: str, probe: Probe) -> str | None:
    try:
        return await asyncio.wait_for(probe(), _DEADLINE_SECONDS)
    except TimeoutError:
        return f"{name} did not answer within {_DEADLINE_SECONDS:g} s"
    except Exception:  # noqa: BLE001 (logged with its traceback just below)
        # A probe must never turn the health endpoint into a 500.
        _log.exception("health probe %s failed", name)
        return f"{name} check failed"


def health_endpoint(probes: Mapping[str, Probe]) -> Callable[[Request], Awaitable[JSONResponse]]:
    """A Starlette endpoint running ``probes``."""

    async def healthz(_request: Request) -> JSONResponse:
        names = list(probes)
        reasons = await asyncio.gather(*(_run(name, probes[name]) for name in names))
        checks = {
            name: {"status": "ok"} if reason is None else {"status": "error", "reason": reason}
            for name, reason in zip(names, reasons, strict=True)
        }
        healthy = all(reason is None for reason in reasons)
        return JSONResponse(
            {"status": "ok" if healthy else "unavailable", "checks": checks},
            status_code=200 if healthy else 503,
            headers={"Cache-Control": "no-store"},
        )

    return healthz
