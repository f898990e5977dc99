"""One API server per test module (tests use their own boards, so they never collide)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.graphql.server import Api, serve_api


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(tmp_path_factory.mktemp("graphql")) as server:
        yield server
