"""A PostgreSQL server for the tests: the one configured, the local one, or a throwaway one.

In order: ``BAAS_TEST_POSTGRES_URL`` (it must answer); else a server answering on
127.0.0.1:5432 as the current user; else a throwaway cluster started from the
PostgreSQL binaries on the machine (``initdb`` as the ``postgres`` user, since the
server refuses to run as root). With none of these the PostgreSQL tests are skipped
with one line saying so, unless ``BAAS_TEST_POSTGRES_REQUIRED`` is set (CI sets it:
there a missing server fails the run instead).

Each test session gets a database of its own (dropped at the end), and each test a
PostgreSQL schema of its own inside it, so tests never see each other's data.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from baas.ports import free_port

__all__ = ["REQUIRED_VARIABLE", "URL_VARIABLE", "drop_schema", "postgres_database", "schema_name"]

URL_VARIABLE = "BAAS_TEST_POSTGRES_URL"
REQUIRED_VARIABLE = "BAAS_TEST_POSTGRES_REQUIRED"
_LOCAL = "postgresql://127.0.0.1:5432/postgres"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a fresh database on the server the tests use (see the module docstring)."""
    with _server() as server_url:
        name = f"baas_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield _with_database(server_url, name)
        finally:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def schema_name() -> str:
    """A PostgreSQL schema name no other test uses."""
    return f"t_{uuid.uuid4().hex[:16]}"


def drop_schema(database_url: str, schema: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


@contextlib.contextmanager
def _server() -> Iterator[str]:
    configured = os.environ.get(URL_VARIABLE)
    if configured:
        yield configured
        return
    if _answers(_LOCAL):
        yield _LOCAL
        return
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if binaries and shutil.which("runuser"):
        with _throwaway_cluster(Path(binaries[-1])) as url:
            yield url
            return
    _unavailable(f"no PostgreSQL: set {URL_VARIABLE}, or run one on 127.0.0.1:5432")


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@contextlib.contextmanager
def _throwaway_cluster(binaries: Path) -> Iterator[str]:
    """A cluster of its own, run by the ``postgres`` user in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="baas-pg-"))
    shutil.chown(folder, "postgres")
    port = free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, str(binaries / "initdb"), "-D", str(folder / "data"), "-A", "trust"],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            *as_postgres,
            str(binaries / "postgres"),
            "-D",
            str(folder / "data"),
            "-p",
            str(port),
            "-k",
            str(folder),
            "-c",
            "listen_addresses=127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                _unavailable("the throwaway PostgreSQL cluster did not start")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRED_VARIABLE):
        pytest.fail(f"PostgreSQL is required here ({REQUIRED_VARIABLE}): {reason}")
    print(f"\nSkipping the PostgreSQL tests: {reason}")  # noqa: T201 - the one line promised
    pytest.skip(reason)
