"""Fixtures shared by the integration tests: one real Temporal dev server per session,
and one PostgreSQL database per session for the tests that run on PostgreSQL.

They are baas's own public test fixtures (:mod:`baas.testing`, loaded for the whole
suite by ``-p baas.testing`` in pyproject.toml), under the shorter names these tests
use: the server is the real ``temporal`` binary of the venv, started once; each test
gets a fresh task queue so tests never see each other's workflows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from temporalio.client import Client

from tests.doc_snippets import NOT_RUN
from tests.postgres_server import postgres_database


@pytest.fixture
def temporal_address(baas_temporal_address: str) -> str:
    """``host:port`` of the Temporal dev server that lives for the whole test session."""
    return baas_temporal_address


@pytest.fixture
def temporal_client(baas_client: Client) -> Client:
    """A client configured like baas's own (caller interceptor, pydantic converter)."""
    return baas_client


@pytest.fixture
def task_queue(baas_task_queue: str) -> str:
    """A task queue no other test uses."""
    return baas_task_queue


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this session's own on a real PostgreSQL (see tests/postgres_server.py)."""
    with postgres_database() as url:
        yield url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the doc snippets marked ``not run`` that tests/integration/test_doc_snippets.py met."""
    if not NOT_RUN:
        return
    terminalreporter.section(f"doc snippets not run ({len(NOT_RUN)})")
    for snippet in NOT_RUN:
        terminalreporter.line(f"{snippet.where}: {snippet.not_run}")
