"""The ``baas`` command line.

    baas dev      everything on this machine (embedded Temporal, worker, API)
    baas serve    the API only, against BAAS_TEMPORAL_ADDRESS
    baas worker   the Temporal worker only
    baas users    account administration (``users create-admin --email ...``)
    baas keys     access keys for the DynamoDB API; ``keys rotate-signing`` for tokens
    baas oauth-clients  apps that sign their users in with baas (OpenID provider)
    baas store    the store's schema (``migrate``), moving it (``copy``), ``backup``
    baas check    the static function-isolation check (``check [module-or-path ...]``)
    baas replay   replay workflow histories against the current code (before a deploy)
    baas new      a new app's project, laid out so nothing collides (``new NAME``)
    baas schema   the app's GraphQL schema for code generators (``schema export``)
    baas graphql  the operator's persisted queries (``graphql register manifest.json``)

All configuration comes from ``BAAS_*`` environment variables (see ``baas.config``).
Expected failures (a bad setting, a port in use) print one line and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from auth.errors import ModelDeclarationError
from baas.config import Settings
from baas.data_folder import PRIVATE_UMASK
from baas.errors import BaasError
from baas.graphql_cli import add_graphql_command, run_graphql_command
from baas.keys_cli import CREATE_HELP, add_keys_command, run_keys_command
from baas.logs import configure_logging
from baas.oauth_clients_cli import add_oauth_clients_command, run_oauth_clients_command
from baas.schema_cli import add_schema_command, run_schema_command
from baas.store_cli import add_store_command, run_store_command
from baas.supervision import APP_LOADED_OPTION

__all__ = ["main"]


# The web and worker stacks take most of a second each to import: each command imports
# only its own, on use (`baas dev` imports neither; it runs `serve` and `worker`).
async def _dev(settings: Settings) -> int:
    from baas.dev import run_dev_fast

    return await run_dev_fast(settings)


async def _serve(settings: Settings, app_loaded_fd: int | None = None) -> int:
    from baas.runner import run_serve

    return await run_serve(settings, app_loaded_fd=app_loaded_fd)


async def _worker(settings: Settings) -> int:
    from baas.worker import run_worker

    return await run_worker(settings)


_COMMANDS: dict[str, tuple[str, Callable[[Settings], Coroutine[Any, Any, int]]]] = {
    "dev": ("start everything on this machine: Temporal dev server, worker, API", _dev),
    "serve": ("start the API only, against BAAS_TEMPORAL_ADDRESS", _serve),
    "worker": ("start the Temporal worker only, against BAAS_TEMPORAL_ADDRESS", _worker),
}


def _server_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for the serving processes when it is installed (uvicorn[standard] brings it).

    It is what uvicorn itself would pick; measured here it serves HTTP noticeably faster.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop
        return None
    return uvloop.new_event_loop


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="baas",
        description="A self-hosted backend: GraphQL, auth, a document store, and workflows.",
        epilog="Settings are read from BAAS_* environment variables; see the README.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, _run) in _COMMANDS.items():
        if name.startswith("_"):
            commands.add_parser(name)  # internal; argparse lists it only in usage errors
        else:
            command = commands.add_parser(name, help=help_text, description=help_text)
            if name == "serve":  # baas dev's own (baas.supervision.APP_LOADED_OPTION)
                command.add_argument(
                    APP_LOADED_OPTION, dest="app_loaded_fd", type=int, help=argparse.SUPPRESS
                )
    _add_users(commands)
    add_keys_command(commands)
    add_oauth_clients_command(commands)
    add_store_command(commands)
    add_schema_command(commands)
    add_graphql_command(commands)
    check = commands.add_parser(
        "check", help="check that no function imports or calls another (reads code, never runs it)"
    )
    check.add_argument(
        "targets", nargs="*", help="modules or paths to check (default: the BAAS_APP package)"
    )
    _add_replay(commands)
    new = commands.add_parser(
        "new",
        help="make a new app's project in ./NAME (package, tests, .env), ready for baas dev",
    )
    new.add_argument("name", metavar="NAME", help="the app's package name (a Python identifier)")
    return parser


def _new(name: str) -> int:
    from baas.new_project import new_project

    project = new_project(name, Path.cwd())
    print(  # noqa: T201 (the CLI's own output)
        f"created {project}: the package {name}/ (models, functions, workflows), tests/, "
        f".env (BAAS_APP={name}:app) and .env.example\n"
        "next:\n"
        f"  cd {name}\n"
        "  baas dev     # API, worker and Temporal; edits reload\n"
        "  pytest       # its tests, on a real Temporal"
    )
    return 0


def _add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Declared here, not in baas.replay_cli, so parsing does not import the worker stack.
    replay = commands.add_parser(
        "replay",
        help="replay workflow histories (from Temporal or files) against the current code",
        description="Replay workflow histories against the app's current workflow code; "
        "exit 1 if one no longer replays (deploying the code would break it).",
    )
    replay.add_argument(
        "paths", nargs="*", type=Path, help="saved histories: JSON files or folders of them"
    )
    replay.add_argument(
        "--since", default="24h", help="from Temporal: started within this long (30m, 24h, 7d)"
    )
    replay.add_argument(
        "--limit", type=int, default=100, help="from Temporal: at most this many, newest first"
    )
    replay.add_argument(
        "--save", type=Path, metavar="DIR", help="from Temporal: also save each history in DIR"
    )


def _add_users(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Declared here, not in baas.auth_cli, so parsing does not import the auth stack.
    users = commands.add_parser("users", help="administer user accounts (create the first admin)")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create-admin", help="create a verified admin account; password from a prompt or stdin"
    )
    create.add_argument("--email", required=True, help="the admin's email address")
    create.add_argument("--create", action="store_true", help=CREATE_HELP)


async def _users(args: argparse.Namespace, settings: Settings) -> int:
    from baas.auth_cli import run_users_command

    return await run_users_command(args, settings)


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, and return its exit code."""
    args = _parser().parse_args(argv)
    if args.command == "new":  # no settings, and the project's files are not private
        try:
            return _new(args.name)
        except BaasError as exc:
            print(exc.message, file=sys.stderr)  # noqa: T201 (the CLI's own output)
            return 1
    # Every file baas or its children create (store, key file, logs, Temporal's dev
    # database) is the user's alone: see baas.data_folder.
    os.umask(PRIVATE_UMASK)
    if args.command in ("serve", "worker"):
        # Start-up allocates a great many objects that live as long as the process (the
        # modules, the schema): collecting meanwhile is wasted work, ~8% of the start-up.
        # baas.lifecycle.settle_heap collects once, freezes them, and turns it back on.
        gc.disable()
    try:
        settings = Settings.from_env()
        configure_logging(json_lines=not settings.is_dev, level=settings.log_level)
        if args.command == "users":
            return asyncio.run(_users(args, settings))
        if args.command == "keys":
            return asyncio.run(run_keys_command(args, settings))
        if args.command == "oauth-clients":
            return asyncio.run(run_oauth_clients_command(args, settings))
        if args.command == "store":
            return asyncio.run(run_store_command(args, settings))
        if args.command == "graphql":
            return asyncio.run(run_graphql_command(args, settings))
        if args.command == "schema":
            return run_schema_command(args, settings)
        if args.command == "check":
            from baas.check import main as check_main

            return check_main(args.targets, settings.app)
        if args.command == "replay":
            from baas.replay_cli import run_replay_command

            return asyncio.run(run_replay_command(args, settings))
        if args.command == "serve":
            command = _serve(settings, args.app_loaded_fd)
        else:
            command = _COMMANDS[args.command][1](settings)
        if args.command == "dev":
            # The supervisor stays on asyncio's own loop (child processes, signals).
            return asyncio.run(command)
        with asyncio.Runner(loop_factory=_server_loop_factory()) as runner:
            return runner.run(command)
    except (BaasError, ModelDeclarationError) as exc:
        print(f"baas: {exc.message}", file=sys.stderr)  # noqa: T201 (the CLI's own output)
        return 1
    except KeyboardInterrupt:
        return 130


def main() -> None:
    """Console entry point."""
    code = run()
    sys.stdout.flush()
    sys.stderr.flush()
    # The Temporal SDK can crash at interpreter exit (FACTS.md); cleanup is done by now.
    os._exit(code)
