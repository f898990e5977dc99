"""``baas schema export``: the app's GraphQL schema for code generators, without a server.

    baas schema export                          SDL on standard output
    baas schema export --format json -o schema.json
    baas schema export --app myapp:app          another app than BAAS_APP

It imports the app and builds its schema as the API would (:mod:`baas.graphql.app_schema`),
but opens no store, reads no secret key and reaches no Temporal, so it works in a CI job
and for a production configuration whose introspection is off. See docs/graphql.md,
"Schema export".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from baas.errors import AppLoadError, StartupError

if TYPE_CHECKING:
    from baas.config import Settings

__all__ = ["add_schema_command", "run_schema_command"]


def add_schema_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``schema`` and its sub-commands to the ``baas`` parser's sub-commands."""
    schema = commands.add_parser(
        "schema",
        help="write the app's GraphQL schema (SDL or introspection JSON) for code generators",
        description="The app's GraphQL schema, without a running server, store or Temporal.",
    )
    actions = schema.add_subparsers(dest="schema_command", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export", help="write the schema as SDL (default) or introspection JSON"
    )
    export.add_argument(
        "--format",
        choices=("sdl", "json"),
        default="sdl",
        help="sdl: the schema language; json: the introspection result {data: {__schema}}",
    )
    export.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write to FILE (default: stdout)"
    )
    export.add_argument(
        "--app", metavar="MODULE:ATTR", help="the app to export (default: BAAS_APP)"
    )


def run_schema_command(args: argparse.Namespace, settings: Settings) -> int:
    """Export the schema; an unloadable app or unwritable file is one line, exit 1."""
    from baas.application import load_app
    from baas.graphql.app_schema import export_schema

    ref = args.app or settings.app
    if not ref:
        raise StartupError("baas schema export: name the app with --app or BAAS_APP")
    if ":" not in ref:
        raise AppLoadError(
            f"--app: expected 'module:attribute' (e.g. examples.board:app), got {ref!r}"
        )
    text = export_schema(load_app(ref), args.format)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StartupError(
            f"baas schema export: cannot write {args.output}: {exc.strerror}"
        ) from None
    print(f"baas schema export: wrote {args.output}", file=sys.stderr)  # noqa: T201 (the CLI's own output)
    return 0
