"""The security headers reach every answer, the masked 500 included."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from baas.app import create_app
from baas.config import Settings
from baas.security_headers import SecurityHeadersMiddleware, security_headers


def test_a_500_answer_carries_them_too(tmp_path: Path) -> None:
    # The services are never started: the route fails unexpectedly, and Starlette's
    # last-resort handler (outside every user middleware) answers 500.
    app = create_app(Settings.from_env({"BAAS_DATA_DIR": str(tmp_path)}))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://baas") as client:
            return await client.get("/auth/oauth/providers")

    response = asyncio.run(call())
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_a_header_the_route_set_is_kept() -> None:
    async def page(scope: object, receive: object, send: object) -> None:
        del scope, receive
        await send(  # type: ignore[operator]
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"Content-Security-Policy", b"default-src 'self'")],
            }
        )
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    app = SecurityHeadersMiddleware(page, security_headers("https://api.example.com"))  # type: ignore[arg-type]

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://baas") as client:
            return await client.get("/")

    response = asyncio.run(call())
    assert response.headers.get_list("content-security-policy") == ["default-src 'self'"]
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    assert response.headers["referrer-policy"] == "no-referrer"
