"""One API server per test module (tests use their own boards, so they never collide),
and a store of either backend for tests that run on both."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.integration.graphql.server import Api, serve_api
from tests.postgres_server import drop_schema, schema_name


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(tmp_path_factory.mktemp("graphql")) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The settings of a store of either backend (a PostgreSQL schema of the test's own)."""
    if request.param == "sqlite":
        yield {}
        return
    database: str = request.getfixturevalue("postgres_url")
    parts = urlsplit(database)
    schema = schema_name()
    try:
        yield {"BAAS_STORE_URL": urlunsplit((*parts[:3], f"schema={schema}", ""))}
    finally:
        drop_schema(database, schema)
