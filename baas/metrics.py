"""``/metrics``: what an API process has served, in Prometheus's text format.

One :class:`HttpMetrics` per process records every HTTP request (by method, path group
and status, with a latency histogram), the requests in flight and the open WebSockets.
Path groups and methods are fixed sets (``/graphql``, ``/auth``, ``/dynamodb``, ...;
an unknown method counts as ``other``), so labels never grow with what clients send; each process is scraped on its own, as Prometheus does
for any replicated service.

The endpoint is on by default in dev; in prod only with ``BAAS_METRICS=true`` (it
tells anyone who can reach it how busy the service is).

The console reads the same counters as JSON (:meth:`HttpMetrics.summary`, behind
``/admin/overview``), with the last answers that were errors (4xx and 5xx, by request
id, at most :data:`RECENT_ERRORS`): what a developer looks for first when a client
reports a failure.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict, deque
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse

__all__ = ["HttpMetrics", "path_group"]

# Seconds; a request above the last bucket counts only in +Inf.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_GROUPS = ("/graphql", "/auth", "/dynamodb", "/healthz", "/.well-known", "/admin", "/console")
_GROUP_PREFIXES = tuple((group, f"{group}/") for group in _GROUPS)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RECENT_ERRORS = 50


def path_group(path: str) -> str:
    """The label for ``path``: its known top-level group, ``/``, or ``other``."""
    if path == "/":
        return "/"
    for group, prefix in _GROUP_PREFIXES:
        if path == group or path.startswith(prefix):
            return group
    return "other"


class _Histogram:
    __slots__ = ("counts", "sum", "total")

    def __init__(self) -> None:
        self.counts = [0] * len(_BUCKETS)
        self.total = 0
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        index = bisect.bisect_left(_BUCKETS, seconds)
        if index < len(_BUCKETS):
            self.counts[index] += 1
        self.total += 1
        self.sum += seconds


def _percentile_ms(histogram: _Histogram, fraction: float) -> float | None:
    """The upper bound (ms) of the bucket holding the ``fraction`` quantile; None when
    there is no request yet or it lies above the last bucket."""
    if not histogram.total:
        return None
    wanted = fraction * histogram.total
    cumulative = 0
    for bound, count in zip(_BUCKETS, histogram.counts, strict=True):
        cumulative += count
        if cumulative >= wanted:
            return bound * 1000
    return None


class HttpMetrics:
    """Counters of one process; updated from the event loop only (no locking)."""

    def __init__(self) -> None:
        self.started_at = time.time()
        self.in_flight = 0
        self.websockets = 0
        self._requests: defaultdict[tuple[str, str, int], int] = defaultdict(int)
        self._durations: defaultdict[str, _Histogram] = defaultdict(_Histogram)
        self._errors: deque[dict[str, Any]] = deque(maxlen=RECENT_ERRORS)

    def observe(
        self, method: str, path: str, status: int, seconds: float, request_id: str | None = None
    ) -> None:
        group = path_group(path)
        method = method if method in _METHODS else "other"
        self._requests[(method, group, status)] += 1
        self._durations[group].observe(seconds)
        if status >= 400:
            # The path only (never the query string, which may carry codes or tokens),
            # cut short: a client chooses it.
            self._errors.append(
                {
                    "at": time.time(),
                    "method": method,
                    "path": path[:200],
                    "status": status,
                    "request_id": request_id,
                    "duration_ms": round(seconds * 1000, 2),
                }
            )

    def summary(self) -> dict[str, Any]:
        """The counters as JSON: per path group, requests, errors and latency (mean and
        the 50th and 95th percentiles, as the upper bound of their histogram bucket);
        the recent errors, newest first."""
        by_group: defaultdict[str, dict[str, int]] = defaultdict(
            lambda: {"requests": 0, "client_errors": 0, "server_errors": 0}
        )
        for (_method, group, status), count in self._requests.items():
            counts = by_group[group]
            counts["requests"] += count
            if 400 <= status < 500:
                counts["client_errors"] += count
            elif status >= 500:
                counts["server_errors"] += count
        groups = []
        for group, counts in sorted(by_group.items()):
            histogram = self._durations[group]
            mean = histogram.sum / histogram.total if histogram.total else 0.0
            groups.append(
                {
                    "path": group,
                    **counts,
                    "mean_ms": round(mean * 1000, 2),
                    "p50_ms": _percentile_ms(histogram, 0.50),
                    "p95_ms": _percentile_ms(histogram, 0.95),
                }
            )
        return {
            "started_at": self.started_at,
            "now": time.time(),
            "in_flight": self.in_flight,
            "websockets": self.websockets,
            "groups": groups,
            "recent_errors": list(reversed(self._errors)),
        }

    def render(self) -> str:
        """All metrics in the Prometheus text exposition format (version 0.0.4)."""
        lines = [
            "# HELP baas_http_requests_total HTTP requests answered, by method, path group and status.",
            "# TYPE baas_http_requests_total counter",
        ]
        for (method, group, status), count in sorted(self._requests.items()):
            lines.append(
                f'baas_http_requests_total{{method="{method}",path="{group}",status="{status}"}} {count}'
            )
        lines += [
            "# HELP baas_http_request_duration_seconds Time to answer an HTTP request.",
            "# TYPE baas_http_request_duration_seconds histogram",
        ]
        for group, histogram in sorted(self._durations.items()):
            cumulative = 0
            for bound, count in zip(_BUCKETS, histogram.counts, strict=True):
                cumulative += count
                lines.append(
                    f'baas_http_request_duration_seconds_bucket{{path="{group}",le="{bound}"}} {cumulative}'
                )
            lines += [
                f'baas_http_request_duration_seconds_bucket{{path="{group}",le="+Inf"}} {histogram.total}',
                f'baas_http_request_duration_seconds_sum{{path="{group}"}} {histogram.sum:.6f}',
                f'baas_http_request_duration_seconds_count{{path="{group}"}} {histogram.total}',
            ]
        lines += [
            "# HELP baas_http_requests_in_flight HTTP requests being answered now.",
            "# TYPE baas_http_requests_in_flight gauge",
            f"baas_http_requests_in_flight {self.in_flight}",
            "# HELP baas_websocket_connections Open WebSocket connections (GraphQL subscriptions).",
            "# TYPE baas_websocket_connections gauge",
            f"baas_websocket_connections {self.websockets}",
            "# HELP process_start_time_seconds Start time of the process since the Unix epoch.",
            "# TYPE process_start_time_seconds gauge",
            f"process_start_time_seconds {self.started_at:.3f}",
        ]
        return "\n".join(lines) + "\n"

    async def endpoint(self, _request: Request) -> PlainTextResponse:
        return PlainTextResponse(
            self.render(), media_type=_CONTENT_TYPE, headers={"Cache-Control": "no-store"}
        )
