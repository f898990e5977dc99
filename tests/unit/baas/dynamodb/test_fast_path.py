"""Which requests the fast path sends straight to the endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from baas.dynamodb import SdkFastPath, endpoint_paths


class _Recorder:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.paths.append(scope.get("path", scope["type"]))


@pytest.mark.parametrize(
    ("scope", "to_endpoint"),
    [
        ({"type": "http", "path": "/dynamodb", "headers": []}, True),
        ({"type": "http", "path": "/dynamodb/", "headers": [(b"host", b"x")]}, True),
        ({"type": "http", "path": "/dynamodb", "headers": [(b"origin", b"https://a")]}, False),
        ({"type": "http", "path": "/graphql", "headers": []}, False),
        ({"type": "http", "path": "/dynamodbx", "headers": []}, False),
        ({"type": "websocket", "path": "/dynamodb", "headers": []}, False),
        ({"type": "lifespan"}, False),
    ],
)
async def test_sdk_requests_for_the_endpoint_skip_the_app(
    scope: dict[str, Any], to_endpoint: bool
) -> None:
    app, endpoint = _Recorder(), _Recorder()
    await SdkFastPath(app, endpoint, endpoint_paths())(scope, None, None)
    assert (len(endpoint.paths), len(app.paths)) == ((1, 0) if to_endpoint else (0, 1))


def test_the_endpoint_paths_include_the_trailing_slash_form() -> None:
    assert endpoint_paths() == ["/dynamodb", "/dynamodb/"]
    assert endpoint_paths("/") == ["/"]
