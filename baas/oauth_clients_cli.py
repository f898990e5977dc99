"""``baas oauth-clients``: register the apps that sign their users in with baas.

    baas oauth-clients create --name NAME --redirect-uri URI [--redirect-uri URI ...]
                              [--post-logout-redirect-uri URI ...] [--public] [--create]
    baas oauth-clients list
    baas oauth-clients delete CLIENT_ID

Like ``baas keys``, the commands open the configured store directly, whether or not the
API runs. ``create`` prints a confidential client's secret once (only its digest is
stored); ``--public`` registers a client without one (a single-page or native app,
which proves itself with PKCE alone). See docs/auth.md, "baas as an OpenID provider".
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, TextIO

from baas.keys_cli import CREATE_HELP, CREATE_OPTION

if TYPE_CHECKING:
    from auth.oauth_clients import OAuthClient, OAuthClientRegistry
    from baas.config import Settings

__all__ = ["add_oauth_clients_command", "run_oauth_clients_command"]


def add_oauth_clients_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``oauth-clients`` and its sub-commands to the ``baas`` parser."""
    clients = commands.add_parser(
        "oauth-clients",
        help="register apps that sign their users in with baas (OpenID Connect clients)",
        description="OAuth 2.0 / OpenID Connect clients of baas as an identity provider.",
    )
    actions = clients.add_subparsers(dest="clients_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="register a client; prints its secret once")
    create.add_argument("--name", required=True, help="the app's name, shown on the consent page")
    create.add_argument(
        "--redirect-uri",
        action="append",
        required=True,
        dest="redirect_uris",
        metavar="URI",
        help="an exact redirect URI (repeat for several)",
    )
    create.add_argument(
        "--post-logout-redirect-uri",
        action="append",
        default=[],
        dest="logout_uris",
        metavar="URI",
        help="an exact URI to return to after logout (repeat for several)",
    )
    create.add_argument(
        "--public", action="store_true", help="no secret: a browser or native app (PKCE only)"
    )
    create.add_argument(CREATE_OPTION, action="store_true", help=CREATE_HELP)
    actions.add_parser("list", help="list clients (never their secrets)")
    delete = actions.add_parser("delete", help="delete a client; its refresh tokens stop working")
    delete.add_argument("client_id", metavar="CLIENT_ID")


async def run_oauth_clients_command(
    args: argparse.Namespace, settings: Settings, out: TextIO | None = None
) -> int:
    """Run ``baas oauth-clients <action>``; returns the exit code."""
    from auth.errors import AuthError
    from auth.oauth_clients import OAuthClientRegistry
    from auth.system_tables import OAUTH_CLIENTS_TABLE, ensure_system_table
    from baas.auth_cli import cli_security_events
    from baas.cli_store import open_sealed_store, store_in_words

    out = out or sys.stdout
    creating = args.clients_command == "create"
    opened = open_sealed_store(
        settings,
        create=creating and args.create,
        create_option=CREATE_OPTION if creating else None,
    )
    async with opened as (store, _loaded), cli_security_events(store, settings) as events:
        await ensure_system_table(store, OAUTH_CLIENTS_TABLE)
        registry = OAuthClientRegistry(store)
        where = store_in_words(settings)
        try:
            if creating:
                client_id = await _create(registry, args, out, where)
                events.record(
                    "admin_action", action="create_oauth_client", client=client_id, via="cli"
                )
                return 0
            if args.clients_command == "delete":
                if not await registry.delete(args.client_id):
                    print(f"baas oauth-clients: no client {args.client_id!r}", file=sys.stderr)  # noqa: T201
                    return 1
                events.record(
                    "admin_action", action="delete_oauth_client", client=args.client_id, via="cli"
                )
                out.write(f"deleted {args.client_id} in the {where}\n")
                return 0
            _list(await registry.list(), out, where)
            return 0
        except AuthError as exc:
            print(f"baas oauth-clients: {exc.message}", file=sys.stderr)  # noqa: T201
            return 1


async def _create(
    registry: OAuthClientRegistry, args: argparse.Namespace, out: TextIO, where: str
) -> str:
    registered = await registry.create(
        name=args.name,
        redirect_uris=args.redirect_uris,
        post_logout_redirect_uris=args.logout_uris,
        public=args.public,
    )
    client = registered.client
    out.write(f"client id:     {client.client_id}\n")
    if registered.secret is not None:
        out.write(f"client secret: {registered.secret}\n")
    out.write(
        f"name:          {client.name}\n"
        f"redirect URIs: {' '.join(client.redirect_uris)}\n"
        f"store:         {where}\n"
    )
    if registered.secret is not None:
        out.write("Store the secret now: it is not shown again.\n")
    else:
        out.write("A public client: no secret, PKCE (S256) proves each sign-in.\n")
    return client.client_id


def _list(clients: list[OAuthClient], out: TextIO, where: str) -> None:
    out.write(f"OAuth clients in the {where}\n")
    out.write(f"{'CLIENT ID':<24} {'CREATED (UTC)':<20} {'TYPE':<13} NAME\n")
    for client in clients:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(client.created_at))
        kind = "public" if client.public else "confidential"
        out.write(f"{client.client_id:<24} {created:<20} {kind:<13} {client.name}\n")
        for uri in client.redirect_uris:
            out.write(f"{'':<24} redirect: {uri}\n")
