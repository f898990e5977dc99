"""Fixtures of the auth integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.auth.auth_server import AuthServer, auth_server
from tests.postgres_server import drop_schema, schema_name


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AuthServer]:
    with auth_server(tmp_path) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The settings of each store backend (PostgreSQL: a schema of its own)."""
    if request.param == "sqlite":
        yield {}
        return
    url = request.getfixturevalue("postgres_url")
    schema = schema_name()
    try:
        yield {"BAAS_STORE_URL": f"{url}?schema={schema}"}
    finally:
        drop_schema(url, schema)
