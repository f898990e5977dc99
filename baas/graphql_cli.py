"""``baas graphql register``: the operator's persisted queries, from a manifest.

    baas graphql register manifest.json           add (or replace) its operations
    baas graphql register manifest.json --prune   ... and forget every other one

The manifest is Apollo's persisted query manifest, as ``npx
@apollo/generate-persisted-query-manifest`` writes it::

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "<sha256 of body>", "body": "query Board ...",
                     "name": "Board", "type": "query"}]}

Each body must parse and validate against the app's schema (``BAAS_APP``), so a
manifest built against another version of the app is refused, in one line naming the
operation, before anything is written. The documents go to the store every API process
reads (:mod:`baas.persisted_documents`): they are served by id in either mode, and are
the only ones that run with ``BAAS_GRAPHQL_PERSISTED_ONLY=true``. Running processes see
an added document at once and stop serving a pruned one within a minute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from baas.errors import StartupError

if TYPE_CHECKING:
    from baas.config import Settings
    from baas.persisted_documents import ManifestOperation

__all__ = ["add_graphql_command", "read_manifest", "run_graphql_command"]

_FORMAT = "apollo-persisted-query-manifest"
_MAX_ID = 128


def add_graphql_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``graphql`` and its sub-commands to the ``baas`` parser's sub-commands."""
    graphql = commands.add_parser(
        "graphql", help="register the operator's persisted queries (the allow-list)"
    )
    actions = graphql.add_subparsers(dest="graphql_command", required=True, metavar="ACTION")
    register = actions.add_parser(
        "register", help="store the operations of an Apollo persisted query manifest"
    )
    register.add_argument("manifest", type=Path, metavar="MANIFEST", help="the manifest's file")
    register.add_argument(
        "--prune", action="store_true", help="also forget registered operations not in MANIFEST"
    )


async def run_graphql_command(args: argparse.Namespace, settings: Settings) -> int:
    """Register the manifest's operations; a bad manifest is one line, exit 1."""
    from baas.cli_store import open_sealed_store, store_in_words
    from baas.persisted_documents import (
        ensure_persisted_tables,
        manifest_ids,
        register_manifest,
        remove_manifest,
    )

    operations = read_manifest(args.manifest)
    _check_against_app(operations, settings)
    async with open_sealed_store(settings) as (store, _key):
        await ensure_persisted_tables(store)
        await register_manifest(store, operations)
        pruned: list[str] = []
        if args.prune:
            keep = {operation.id for operation in operations}
            pruned = sorted((await manifest_ids(store)) - keep)
            await remove_manifest(store, pruned)
    _say(
        f"baas graphql register: {len(operations)} operations registered"
        + (f", {len(pruned)} removed" if args.prune else "")
        + f" in the {store_in_words(settings)}"
    )
    return 0


def read_manifest(path: Path) -> list[ManifestOperation]:
    """The operations of the manifest at ``path``; :class:`StartupError` when it is not one."""
    from baas.json_bodies import loads
    from baas.persisted_documents import ManifestOperation

    try:
        data: Any = loads(path.read_bytes())
    except OSError as exc:
        raise StartupError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError:
        raise StartupError(f"{path}: not JSON") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != 1:
        raise StartupError(f'{path}: expected {{"format": "{_FORMAT}", "version": 1, ...}}')
    entries = data.get("operations")
    if not isinstance(entries, list):
        raise StartupError(f"{path}: 'operations' must be a list")
    operations: list[ManifestOperation] = []
    for number, entry in enumerate(entries):
        where = f"{path}: operations[{number}]"
        if not isinstance(entry, dict):
            raise StartupError(f"{where} must be an object")
        document_id, body = entry.get("id"), entry.get("body")
        if not isinstance(document_id, str) or not 0 < len(document_id) <= _MAX_ID:
            raise StartupError(f"{where}: 'id' must be a string of 1 to {_MAX_ID} characters")
        if not isinstance(body, str) or not body.strip():
            raise StartupError(f"{where}: 'body' must be a non-empty string")
        name, kind = entry.get("name"), entry.get("type")
        operations.append(
            ManifestOperation(
                document_id,
                body,
                name if isinstance(name, str) else None,
                kind if isinstance(kind, str) else None,
            )
        )
    return operations


def _check_against_app(operations: list[ManifestOperation], settings: Settings) -> None:
    """Refuse the manifest if one body does not parse or validate against the app's schema."""
    from graphql import GraphQLError, parse, validate

    from baas.application import load_app
    from baas.graphql.app_schema import exported_core_schema

    if not settings.app:
        raise StartupError("baas graphql register: BAAS_APP must name the app the manifest is for")
    schema = exported_core_schema(load_app(settings.app))
    for operation in operations:
        label = operation.name or operation.id
        try:
            errors = validate(schema, parse(operation.body))
        except GraphQLError as exc:
            errors = [exc]
        if errors:
            raise StartupError(
                f"operation {label!r} does not fit the app's schema: {errors[0].message}"
            )


def _say(line: str) -> None:
    print(line, file=sys.stderr)  # noqa: T201 (the CLI's own output)
