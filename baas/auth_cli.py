"""``baas users``: account administration from the command line.

    baas users create-admin --email EMAIL [--create]   the first admin (no default accounts)

(The parser is declared in ``baas.cli``, which imports this module only to run it.)
The password is read from a prompt (twice) on a terminal, or as one line of standard
input otherwise — never from the command line, where ``ps`` and shell history would
show it. The command opens the configured store directly, so it works whether or not
the API is running; it names that store, and refuses one that does not exist yet
unless given ``--create`` (see :mod:`baas.cli_store`).

:func:`rotate_signing_key` backs ``baas keys rotate-signing`` (and the admin endpoint
does the same over HTTP).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from collections.abc import AsyncIterator
from typing import TextIO

from auth.errors import AuthError
from auth.security_event_store import SecurityEventStore
from auth.security_events import SecurityEventLog, SecurityEvents
from baas.auth_wiring import AuthServices
from baas.cli_store import open_sealed_store, store_in_words
from baas.config import Settings
from baas.keys_cli import CREATE_OPTION
from storage import DocumentStore

__all__ = ["cli_security_events", "rotate_signing_key", "run_users_command"]


async def run_users_command(
    args: argparse.Namespace,
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Run ``baas users <action>``; returns the exit code."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    create = bool(getattr(args, "create", False))
    # The store first: a missing one is refused before anyone types a password.
    async with _started_auth(settings, create=create, create_option=CREATE_OPTION) as auth:
        password = _read_password(stdin)
        if not password:
            print("baas users: no password given", file=sys.stderr)  # noqa: T201 (CLI output)
            return 1
        try:
            user = await auth.admin.create_admin(args.email, password)
        except AuthError as exc:
            print(f"baas users: {exc.message}", file=sys.stderr)  # noqa: T201 (CLI output)
            return 1
    out.write(f"created admin {user.email} (id {user.user_id}) in the {store_in_words(settings)}\n")
    return 0


async def rotate_signing_key(settings: Settings, *, out: TextIO | None = None) -> int:
    """Make a new signing key; running API processes pick it up within seconds."""
    async with _started_auth(settings) as auth:
        key = await auth.keyring.rotate()
        auth.events.record("admin_action", action="rotate_signing_key", kid=key.kid, via="cli")
    (out or sys.stdout).write(f"new signing key {key.kid} ({key.alg}); the old one is retired\n")
    return 0


@contextlib.asynccontextmanager
async def cli_security_events(
    store: DocumentStore, settings: Settings
) -> AsyncIterator[SecurityEvents]:
    """A security-event recorder for one command that changes what admins audit (the
    access keys): what it records is stored before the command ends."""
    events = SecurityEventLog(SecurityEventStore(store, retention=settings.auth.events_ttl))
    await events.start()
    try:
        yield events
    finally:
        await events.stop()


@contextlib.asynccontextmanager
async def _started_auth(
    settings: Settings, *, create: bool = False, create_option: str | None = None
) -> AsyncIterator[AuthServices]:
    """Open the store and start auth on it for one command, then close both."""
    opened = open_sealed_store(settings, create=create, create_option=create_option)
    async with opened as (store, loaded):
        auth = AuthServices(settings, lambda: store, loaded.keys)
        try:
            await auth.start()
            yield auth
        finally:
            await auth.stop()


def _read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != first:
            print("baas users: the passwords differ", file=sys.stderr)  # noqa: T201
            return ""
        return first
    return stdin.readline().rstrip("\r\n")
