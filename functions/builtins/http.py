"""``baas.http_request``: call an HTTP endpoint from a workflow.

The request goes only to public addresses unless the worker allows private ones
(``FunctionRuntime.allow_private_network``); see ``destinations.py``. Redirects are
not followed — a redirect could lead to a private address; the workflow sees the 3xx
and its ``location`` header and decides. A non-2xx status is a normal result, not an
error; network failures are errors and are retried.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from functions.builtins.destinations import resolve_destination
from functions.context import Context
from functions.definition import function
from functions.errors import ForbiddenDestinationError, InvalidInputError

__all__ = ["HttpRequest", "HttpResponse", "http_request"]

MAX_BODY_BYTES = 512_000
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


@dataclass(frozen=True)
class HttpRequest:
    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: str
    truncated: bool = False


@function(timeout=60, retries=3, backoff=1, name="baas.http_request")
async def http_request(ctx: Context, inp: HttpRequest) -> HttpResponse:
    """Send one HTTP request and return the status, headers and (text) body."""
    method = inp.method.upper()
    if method not in _METHODS:
        raise InvalidInputError(f"unsupported HTTP method {inp.method!r}")
    try:
        url = httpx.URL(inp.url)
    except httpx.InvalidURL as exc:
        raise InvalidInputError(f"invalid URL: {exc}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ForbiddenDestinationError("only http and https URLs with a host are allowed")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await resolve_destination(
        url.host, port, allow_private=ctx.runtime.allow_private_network
    )
    # Connect to the address that was checked, naming the host for Host and TLS (SNI and
    # certificate checks), so a second DNS answer cannot redirect us (rebinding).
    pinned = url.copy_with(host=str(addresses[0]))
    headers = {**inp.headers, "host": url.netloc.decode("ascii")}
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    async with (
        httpx.AsyncClient(follow_redirects=False, timeout=inp.timeout_seconds) as client,
        client.stream(
            method, pinned, headers=headers, content=inp.body, extensions=extensions
        ) as response,
    ):
        body, truncated = await _read_capped(response)
        ctx.logger.info("%s %s -> %d", method, url.copy_with(query=None), response.status_code)
        return HttpResponse(
            status=response.status_code,
            headers=dict(response.headers),
            body=body.decode(response.encoding or "utf-8", errors="replace"),
            truncated=truncated,
        )


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    """The body up to MAX_BODY_BYTES (results must stay below the payload limit)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"".join(chunks)[:MAX_BODY_BYTES], True
    return b"".join(chunks), False
