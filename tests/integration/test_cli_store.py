"""``baas users`` and ``baas keys`` never write into a store no server reads.

Run without the server's settings (another folder, no ``BAAS_DATA_DIR``), they used to
make a new ``./.baas`` store silently and put the admin or key there. Now a store that
does not exist yet is refused in one line naming where the command looked (``--create``
makes one on purpose), and each command names the store it used. The ``baas`` command
runs in a subprocess, as a user runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres_server import drop_schema, schema_name

BAAS = Path(sys.executable).parent / "baas"
PASSWORD = "correct-horse-battery-staple-42"
HINT = (
    "run this with the server's settings (its BAAS_DATA_DIR, e.g. from its .env), or start "
    "`baas dev` there first"
)


def _baas(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    return subprocess.run(
        [str(BAAS), *args],
        cwd=folder,
        input=f"{PASSWORD}\n",
        env={**clean, "BAAS_ARGON2_TIME_COST": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_folder_without_a_store_is_refused_in_one_line_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    store = tmp_path / ".baas" / "baas.sqlite3"
    expected = f"baas: no baas store in the SQLite file {store} yet (BAAS_DATA_DIR=.baas): {HINT}"
    for args, creatable in (
        (("users", "create-admin", "--email", "ops@example.com"), True),
        (("keys", "create"), True),
        (("keys", "list"), False),
        (("keys", "rotate-signing"), False),
    ):
        ran = _baas(tmp_path, *args)
        assert ran.returncode == 1, args
        hint = ", or add --create to make a new store there" if creatable else ""
        assert ran.stderr.splitlines() == [expected + hint], args
        assert PASSWORD not in ran.stdout + ran.stderr
    assert not (tmp_path / ".baas").exists()


def test_create_makes_the_store_and_every_command_names_the_store_it_used(
    tmp_path: Path,
) -> None:
    store = tmp_path / "data" / "baas.sqlite3"

    admin = _baas(
        tmp_path, "users", "create-admin", "--email", "ops@example.com", "--create",
        BAAS_DATA_DIR="data",
    )  # fmt: skip
    assert admin.returncode == 0, admin.stderr
    assert admin.stdout.startswith("created admin ops@example.com (id ")
    assert admin.stdout.endswith(f") in the SQLite file {store}\n")

    # The store exists now: no --create needed.
    key = _baas(tmp_path, "keys", "create", "--id", "opsKey", "--secret", "s" * 40,
                BAAS_DATA_DIR="data")  # fmt: skip
    assert key.returncode == 0, key.stderr
    assert f"store:      SQLite file {store}\n" in key.stdout
    listed = _baas(tmp_path, "keys", "list", BAAS_DATA_DIR="data")
    assert listed.stdout.splitlines()[0] == f"access keys in the SQLite file {store}"
    assert "opsKey" in listed.stdout


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[str]:
    """The URL of a schema of this test's own, with no tables yet."""
    schema = schema_name()
    try:
        yield f"{postgres_url}?schema={schema}"
    finally:
        drop_schema(postgres_url, schema)


def test_on_postgresql_a_schema_without_tables_is_no_store(
    tmp_path: Path, postgres_store: str
) -> None:
    refused = _baas(tmp_path, "keys", "create", BAAS_STORE_URL=postgres_store)
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("baas: no baas store in the PostgreSQL at ")
    assert "yet (BAAS_STORE_URL): run this with the server's settings (its BAAS_STORE_URL" in line
    assert line.endswith(", or add --create to make a new store there")

    made = _baas(tmp_path, "keys", "create", "--create", BAAS_STORE_URL=postgres_store)
    assert made.returncode == 0, made.stderr
    assert "store:      PostgreSQL at " in made.stdout
    assert _baas(tmp_path, "keys", "list", BAAS_STORE_URL=postgres_store).returncode == 0
