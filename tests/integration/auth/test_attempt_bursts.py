"""Limits hold under a burst over HTTP (issue 15, item 2), against real uvicorn servers:
one API process, and two ``baas serve`` processes sharing one SQLite file.

Every ``401 invalid_credentials`` (or ``400 invalid_code``) is an evaluated attempt; a
``429`` was refused before the hasher or the comparison. Each client sends 50 requests
at a time, so its 51st+k request leaves only after k of its answers came back; once 6
did, at least one was refused (at most 5 reserved a slot), so all 5 slots were taken
for good (failures keep them). The right password at position 100 of one client (or
60 of each of two) is thus sent *after* the limit, while the burst is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.auth.auth_server import FAST_ARGON2, PASSWORD, AuthServer, auth_server
from tests.support import free_port

BURST = 150
RIGHT_AT = 100
VICTIM = "victim@example.com"
BAAS = Path(sys.executable).parent / "baas"


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[AuthServer]:
    """A server that believes X-Forwarded-For from 127.0.0.1: one client, many addresses."""
    with auth_server(tmp_path, BAAS_TRUSTED_PROXIES="127.0.0.1/32") as running:
        yield running


async def burst(
    bases: list[str], path: str, bodies: list[dict[str, str]], addresses: int
) -> list[int]:
    """POST every body at once (50 connections per server), from ``addresses`` client
    addresses, spread over the servers; the statuses in order."""
    limits = httpx.Limits(max_connections=50)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, limits=limits, timeout=60)
            )
            for base in bases
        ]
        answers = await asyncio.gather(
            *(
                clients[n % len(clients)].post(
                    path, json=body, headers={"X-Forwarded-For": f"203.0.113.{n % addresses}"}
                )
                for n, body in enumerate(bodies)
            )
        )
    return [answer.status_code for answer in answers]


def guesses_with_the_password_at(position: int) -> list[dict[str, str]]:
    bodies = [{"email": VICTIM, "password": f"guess number {n}"} for n in range(BURST)]
    bodies[position] = {"email": VICTIM, "password": PASSWORD}
    return bodies


@pytest.mark.parametrize("addresses", [1, BURST], ids=["one-address", "many-addresses"])
async def test_a_burst_of_sign_ins_evaluates_at_most_five(
    proxied: AuthServer, addresses: int
) -> None:
    await asyncio.to_thread(proxied.signup_verified, VICTIM)
    statuses = await burst(
        [proxied.base], "/auth/signin", guesses_with_the_password_at(RIGHT_AT), addresses
    )
    assert statuses.count(401) <= 5
    assert statuses[RIGHT_AT] == 429
    assert set(statuses) <= {401, 429}


async def test_a_spray_from_one_address_evaluates_at_most_twenty(proxied: AuthServer) -> None:
    bodies = [{"email": f"user{n}@example.com", "password": "a guess"} for n in range(BURST)]
    statuses = await burst([proxied.base], "/auth/signin", bodies, 1)
    assert statuses.count(401) <= 20
    assert statuses.count(429) >= BURST - 20


async def test_wrong_codes_from_one_address_stop_at_twenty(proxied: AuthServer) -> None:
    bodies = [
        {"email": f"user{n}@example.com", "code": "12345678", "new_password": "a new passphrase"}
        for n in range(BURST)
    ]
    statuses = await burst([proxied.base], "/auth/password/reset", bodies, 1)
    assert statuses.count(400) <= 20
    assert statuses.count(429) >= BURST - 20


async def test_a_burst_of_wrong_codes_burns_the_code_after_five(proxied: AuthServer) -> None:
    await asyncio.to_thread(proxied.post, "/auth/signup", {"email": VICTIM, "password": PASSWORD})
    code = await asyncio.to_thread(proxied.code_for, VICTIM, "verification")
    bodies = [
        {"email": VICTIM, "code": f"{n:08d}", "password": PASSWORD}
        for n in range(BURST)
        if f"{n:08d}" != code
    ]
    bodies[RIGHT_AT] = {"email": VICTIM, "code": code, "password": PASSWORD}
    statuses = await burst([proxied.base], "/auth/verify-email", bodies, len(bodies))
    assert statuses[RIGHT_AT] == 400
    assert 200 not in statuses
    again = await asyncio.to_thread(
        proxied.post, "/auth/verify-email", {"email": VICTIM, "code": code, "password": PASSWORD}
    )
    assert again.json()["error"]["code"] == "invalid_code"


@contextlib.contextmanager
def baas_serve(data_dir: Path) -> Iterator[str]:
    """A real ``baas serve`` process on the shared data folder; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env.update(
        FAST_ARGON2,
        BAAS_DATA_DIR=str(data_dir),
        BAAS_PORT=str(port),
        BAAS_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",  # serve starts without Temporal
        BAAS_TRUSTED_PROXIES="127.0.0.1/32",
    )
    server = subprocess.Popen(
        [str(BAAS), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/.well-known/jwks.json", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "baas serve never answered"
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=30)


@pytest.mark.slow
async def test_two_api_processes_on_one_store_evaluate_at_most_five(tmp_path: Path) -> None:
    with baas_serve(tmp_path) as first, baas_serve(tmp_path) as second:
        with httpx.Client(base_url=first, timeout=30) as client:
            AuthServer(first, tmp_path, client).signup_verified(VICTIM)
        right_at = 2 * 60  # the 60th request of the first server's client
        statuses = await burst(
            [first, second], "/auth/signin", guesses_with_the_password_at(right_at), BURST
        )
    assert statuses.count(401) <= 5
    assert statuses[right_at] == 429


async def test_a_burst_of_sign_ups_from_one_address_stops_at_twenty(proxied: AuthServer) -> None:
    bodies = [{"email": f"user{n}@example.com", "password": PASSWORD} for n in range(BURST)]
    statuses = await burst([proxied.base], "/auth/signup", bodies, 1)
    assert statuses.count(202) <= 20
    assert statuses.count(429) >= BURST - 20
