"""``baas store``: the document store's schema, moving it between backends, backups.

    baas store migrate                         create or upgrade the store's schema, then exit
    baas store copy --to URL [--from URL]      copy every table (and its users and keys) over
    baas store backup FILE                     a consistent copy of a live SQLite store

``--from`` defaults to the configured store (``BAAS_STORE_URL``, else the SQLite file in
``BAAS_DATA_DIR``). URLs are ``sqlite:///path`` or ``postgresql://user:pass@host/db``.
Copy into a new, empty store, with the API and workers stopped; both stores must be
used with the same secret key (``BAAS_SECRET_KEY``), which sealed the secrets copied.
A PostgreSQL store is backed up with ``pg_dump`` (see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from baas.errors import StartupError

if TYPE_CHECKING:
    from baas.config import Settings
    from storage import DocumentStore, StoreConfig

__all__ = ["add_store_command", "run_store_command"]


def add_store_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``store`` and its sub-commands to the ``baas`` parser's sub-commands."""
    store = commands.add_parser(
        "store",
        help="migrate the store's schema, copy it to another backend, back it up",
        description="Operations on the document store (BAAS_STORE_URL).",
    )
    actions = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    actions.add_parser("migrate", help="create or upgrade the store's schema, then exit")
    copy = actions.add_parser(
        "copy", help="copy every table, users and keys included, into a new empty store"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="the destination store")
    copy.add_argument(
        "--from", dest="source", metavar="URL", help="the source (default: the configured store)"
    )
    backup = actions.add_parser("backup", help="a consistent copy of a live SQLite store")
    backup.add_argument("file", type=Path, metavar="FILE", help="the new backup file")


async def run_store_command(args: argparse.Namespace, settings: Settings) -> int:
    from baas.stores import store_setting
    from storage import describe_store

    if args.store_command == "migrate":
        config = settings.store_config
        async with _opened(config, store_setting(settings)):
            pass  # opening a store creates or upgrades its schema
        _say(f"the {describe_store(config)} is up to date")
        return 0
    if args.store_command == "copy":
        source = _config(args.source, "--from") if args.source else settings.store_config
        return await _copy(source, _config(args.to, "--to"))
    return await asyncio.to_thread(_backup, settings.store_config, args.file)


async def _copy(source: StoreConfig, destination: StoreConfig) -> int:
    from storage import describe_store
    from storage.copy import CopyError, copy_store

    async with _opened(source, "--from") as from_store, _opened(destination, "--to") as to_store:
        try:
            copies = await copy_store(from_store, to_store)
        except CopyError as exc:
            raise StartupError(f"baas store copy: {exc.message}") from None
    for copy in copies:
        _say(f"{copy.table}: {copy.items} items, checksum {copy.checksum}")
    total = sum(copy.items for copy in copies)
    _say(
        f"copied {len(copies)} tables ({total} items) from the {describe_store(source)} "
        f"to the {describe_store(destination)}; counts and checksums match"
    )
    return 0


def _backup(config: StoreConfig, file: Path) -> int:
    from storage import SqliteConfig
    from storage.sqlite.backup import backup

    if not isinstance(config, SqliteConfig):
        raise StartupError(
            "baas store backup: the store is on PostgreSQL; back it up with pg_dump "
            f"--schema={config.schema} (see the README, 'Backups')"
        )
    try:
        backup(config, file)
    except FileExistsError:
        raise StartupError(f"baas store backup: {file} exists; give a new file") from None
    _say(f"backed up {config.path} to {file}")
    return 0


def _config(url: str, option: str) -> StoreConfig:
    from storage import config_from_url

    try:
        return config_from_url(url)
    except ValueError as exc:
        raise StartupError(f"{option}: {exc}") from None


@contextlib.asynccontextmanager
async def _opened(config: StoreConfig, given_by: str) -> AsyncIterator[DocumentStore]:
    """The store, or one line naming where it was given when it cannot be opened."""
    from storage import describe_store, open_store
    from storage.errors import StorageUnavailableError

    try:
        store = await open_store(config)
    except StorageUnavailableError as exc:
        raise StartupError(
            f"{given_by}: cannot open the {describe_store(config)}: {exc.message}"
        ) from exc
    try:
        yield store
    finally:
        await store.close()


def _say(line: str) -> None:
    print(line)  # noqa: T201 - the command's own output
