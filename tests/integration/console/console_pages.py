"""What the browser tests do on the console's pages, as a person would."""

from __future__ import annotations

import argparse
import asyncio
import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from playwright.sync_api import Page, expect

from baas.auth_cli import run_users_command
from baas.config import Settings
from tests.integration.auth.auth_server import FAST_ARGON2, PASSWORD


def create_admin(data_dir: Path, address: str, **env: str) -> None:
    """An admin made as an operator does: ``baas users create-admin``."""
    settings = Settings.from_env({"BAAS_DATA_DIR": str(data_dir), **FAST_ARGON2, **env})
    # --create: a test may make its admin before any server opened the store.
    args = argparse.Namespace(users_command="create-admin", email=address, create=True)
    command = run_users_command(
        args, settings, stdin=io.StringIO(PASSWORD + "\n"), out=io.StringIO()
    )
    # In a thread of its own: Playwright's sync API keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, command).result() == 0


def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Open the console and sign in through its own page."""
    page.goto(f"{base}/console")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def signed_in(page: Page, email: str) -> None:
    """The console shows the pages to ``email``."""
    expect(page.locator("#who")).to_have_text(email)
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()


def refused_within(client: Any, seconds: float = 10) -> str:
    """The error code a boto3 DynamoDB ``client`` gets once its key stops working
    (revoked keys are cached for up to a second), waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.list_tables()
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        assert time.monotonic() < deadline, "a revoked key still works"
        time.sleep(0.1)
