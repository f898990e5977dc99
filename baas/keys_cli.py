"""``baas keys``: create, revoke and list the access keys of the AWS-compatible APIs.

    baas keys create [--description TEXT] [--create]      a random key id and secret
    baas keys create --id KEY_ID --secret SECRET|-        a fixed pair ('-': secret on stdin)
    baas keys revoke KEY_ID
    baas keys list
    baas keys rotate-signing                               a new access-token signing key
    baas keys rotate-secret-key                            re-seal secrets under a new secret key

The commands open the configured store (``BAAS_DATA_DIR`` or ``BAAS_STORE_URL``)
directly, so they work whether or not the API is running; a running API sees a new or
revoked key at its next request. Each names the store it used; a store that does not
exist yet is refused (``create --create`` makes one: see :mod:`baas.cli_store`). The secret is printed once, by ``create``, and never again (``list`` shows
ids, dates and status only).

``rotate-secret-key`` re-seals every secret under the current secret key: with
``BAAS_SECRET_KEY=new,old`` (or such a key file) under the first one; with the dev key
file holding one key, it makes the new key itself and rewrites the file. See
docs/auth.md, "Rotating the secret key".
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from auth.access_keys import AccessKey, AccessKeyRepository
    from baas.config import Settings

__all__ = ["CREATE_HELP", "CREATE_OPTION", "add_keys_command", "run_keys_command"]

_STDIN = "-"
CREATE_OPTION = "--create"
CREATE_HELP = (
    "make a new store if there is none yet where the settings point "
    "(without it, a missing store is an error: the command would write where no server reads)"
)


def add_keys_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``keys`` and its sub-commands to the ``baas`` parser's sub-commands."""
    keys = commands.add_parser(
        "keys",
        help="create, revoke and list access keys (SigV4 credentials for the DynamoDB API)",
        description="Access keys sign requests to the DynamoDB-compatible endpoint; "
        "each acts as the system caller.",
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a key and print its secret once")
    create.add_argument("--id", dest="key_id", help="a fixed key id (needs --secret)")
    create.add_argument(
        "--secret", help="a fixed secret (needs --id); '-' reads it from standard input"
    )
    create.add_argument("--description", default="", help="what the key is for")
    create.add_argument(CREATE_OPTION, action="store_true", help=CREATE_HELP)
    revoke = actions.add_parser("revoke", help="revoke a key; it stops working at once")
    revoke.add_argument("key_id", metavar="KEY_ID")
    actions.add_parser("list", help="list keys (never their secrets)")
    actions.add_parser(
        "rotate-signing",
        help="rotate the access-token signing key (tokens signed before stay valid)",
    )
    actions.add_parser(
        "rotate-secret-key",
        help="re-seal the stored secrets under the current secret key (BAAS_SECRET_KEY)",
    )


async def run_keys_command(
    args: argparse.Namespace, settings: Settings, out: TextIO | None = None
) -> int:
    """Run ``baas keys <action>``; returns the exit code."""
    # Imported on use, like the other commands' stacks (see baas.cli): `baas dev` builds
    # the same parser and should not pay for auth's imports at start-up.
    from auth.access_keys import AccessKeyRepository
    from auth.errors import AuthError
    from baas.cli_store import open_sealed_store, store_in_words

    out = out or sys.stdout
    if args.keys_command == "rotate-signing":
        from baas.auth_cli import rotate_signing_key

        return await rotate_signing_key(settings, out=out)
    if args.keys_command == "rotate-secret-key":
        from baas.secret_key_rotation import rotate_secret_key

        return await rotate_secret_key(settings, out=out)
    from baas.auth_cli import cli_security_events

    creating = args.keys_command == "create"
    opened = open_sealed_store(
        settings,
        create=creating and args.create,
        create_option=CREATE_OPTION if creating else None,
    )
    async with opened as (store, loaded), cli_security_events(store, settings) as events:
        keys = AccessKeyRepository(store, loaded.keys)
        where = store_in_words(settings)
        try:
            if creating:
                code = await _create(keys, args, out, where)
                action = "create_access_key"
            elif args.keys_command == "revoke":
                code = await _revoke(keys, args.key_id, out, where)
                action = "revoke_access_key"
            else:
                return await _list(keys, out, where)
        except AuthError as exc:
            print(f"baas keys: {exc.message}", file=sys.stderr)  # noqa: T201 (the CLI's own output)
            return 1
        if code == 0:
            events.record("admin_action", action=action, via="cli")
        return code


async def _create(
    keys: AccessKeyRepository, args: argparse.Namespace, out: TextIO, where: str
) -> int:
    # '-' keeps the secret out of shell history and `ps`.
    from_stdin = args.secret == _STDIN
    secret = sys.stdin.readline().strip() if from_stdin else args.secret
    key = await keys.create(key_id=args.key_id, secret=secret, description=args.description)
    out.write(
        f"key id:     {key.key_id}\n"
        f"secret:     {key.secret}\n"
        f"store:      {where}\n"
        "Store the secret now: it is not shown again. The key acts as the system caller.\n"
    )
    return 0


async def _revoke(keys: AccessKeyRepository, key_id: str, out: TextIO, where: str) -> int:
    if not await keys.revoke(key_id):
        print(f"baas keys: no active key {key_id!r}", file=sys.stderr)  # noqa: T201
        return 1
    out.write(f"revoked {key_id} in the {where}\n")
    return 0


async def _list(keys: AccessKeyRepository, out: TextIO, where: str) -> int:
    listed = await keys.list()
    out.write(f"access keys in the {where}\n")
    out.write(f"{'KEY ID':<24} {'CREATED (UTC)':<20} {'STATUS':<8} DESCRIPTION\n")
    for key in listed:
        out.write(_row(key))
    return 0


def _row(key: AccessKey) -> str:
    created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(key.created_at))
    status = "active" if key.active else "revoked"
    return f"{key.key_id:<24} {created:<20} {status:<8} {key.description}\n"
