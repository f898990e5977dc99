"""Benchmark: managed auth beside the bare library calls it is built on, in one run.

Run with ``.venv/bin/python bench/auth.py``.

- access-token verifications per second on one core: ``TokenVerifier.verify`` (header
  checks, joserfc signature, claims, the revocation lookup) on tokens it has not seen
  (cache off), and with the verified-token cache the API uses (a client sends the same
  token on every request), beside a bare joserfc ``jws.deserialize_compact`` of the
  same tokens with the same key;
- sign-in latency over HTTP (a real uvicorn server, default argon2id parameters:
  t=3, m=64 MiB, p=4) beside a bare argon2-cffi ``verify`` with the same parameters;
- the same with cheap argon2id parameters (t=1, m=8 MiB, p=1), where the hash no longer
  hides what sign-in adds around it (the store reads, the attempt reservations, the
  session and the access token), beside a bare ``verify`` with those parameters;
- the sign-in attempt reservation alone (a slot on the account and one on the address,
  then freed as after a success) on a SQLite store with the default FULL durability,
  beside one bare conditional ``UpdateItem`` on the same store: what the reservation
  adds to every sign-in;
- refresh latency over HTTP (rotate the refresh token in the store, sign a new access
  token) beside a bare joserfc ``jws.serialize_compact`` of an access token.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

import argon2  # noqa: E402
import httpx  # noqa: E402
from joserfc import jws  # noqa: E402

from auth.revocation import RevocationList  # noqa: E402
from auth.signing_keys import InMemorySigningKeyRepository, KeyRing  # noqa: E402
from auth.stored_throttle import StoreAttemptStore  # noqa: E402
from auth.system_tables import THROTTLE_TABLE, ensure_system_tables  # noqa: E402
from auth.throttle import SignInThrottle  # noqa: E402
from auth.tokens import TokenConfig, TokenIssuer, TokenVerifier  # noqa: E402
from baas.app import create_app  # noqa: E402
from baas.config import Settings  # noqa: E402
from storage import SqliteConfig, open_store  # noqa: E402
from tests.support import free_port, serve_in_thread  # noqa: E402

PASSWORD = "correct horse battery staple"  # noqa: S105 - a benchmark account
VERIFY_SECONDS = 2.0
LATENCY_ROUNDS = 20


def _rate(fn: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(200):
            fn()
        count += 200
    return count / elapsed


def _latency_ms(fn: Callable[[], object], rounds: int = LATENCY_ROUNDS) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return _percentiles(samples)


def bench_verification() -> tuple[float, float, float]:
    """(first sight of each token, a token already verified, bare joserfc) per second."""
    config = TokenConfig(issuer="https://baas.bench", audience="baas")
    keyring = KeyRing(InMemorySigningKeyRepository(), retention=config.key_retention)
    asyncio.run(keyring.load())
    revoked = RevocationList(retention=config.key_retention)
    revoked.mark_current(time.monotonic())  # fresh for the bench's few seconds
    revoked.revoke_user("someone-else", time.time())
    issuer = TokenIssuer(keyring, config)
    tokens = [issuer.issue_access_token(f"user-{i}", ["admin"]).token for i in range(2000)]
    key = keyring.verification_key(keyring.active_key.kid)
    if key is None:
        raise RuntimeError("no verification key")
    cold = TokenVerifier(keyring, config, is_revoked=revoked.is_revoked)  # no cache
    warm = TokenVerifier(keyring, config, is_revoked=revoked.is_revoked, cache_size=10_000)
    cycle = itertools.cycle(tokens)
    cold_rate = _rate(lambda: cold.verify(next(cycle)), VERIFY_SECONDS)
    warm_rate = _rate(lambda: warm.verify(next(cycle)), VERIFY_SECONDS)
    bare_rate = _rate(
        lambda: jws.deserialize_compact(next(cycle), key.key, algorithms=[key.alg]),
        VERIFY_SECONDS,
    )
    return cold_rate, warm_rate, bare_rate


CHEAP_ARGON2 = {
    "BAAS_ARGON2_TIME_COST": "1",
    "BAAS_ARGON2_MEMORY_KIB": "8192",
    "BAAS_ARGON2_PARALLELISM": "1",
}


def bench_http(argon2_env: dict[str, str], signin_rounds: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as data:
        settings = Settings.from_env(
            {
                "BAAS_DATA_DIR": data,
                "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
                **argon2_env,
            }
        )
        asyncio.run(_create_user(settings))
        with (
            serve_in_thread(create_app(settings)) as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            body = {"email": "bench@example.com", "password": PASSWORD}

            def sign_in() -> str:
                response = client.post("/auth/signin", json=body)
                response.raise_for_status()
                return str(response.json()["refresh_token"])

            sign_in()  # warm up (dummy hash, connections)
            signin = _latency_ms(sign_in, signin_rounds)
            current = [sign_in()]

            def refresh() -> None:
                response = client.post(
                    "/auth/token",
                    json={"grant_type": "refresh_token", "refresh_token": current[0]},
                )
                response.raise_for_status()
                current[0] = response.json()["refresh_token"]

            refresh_ms = _latency_ms(refresh, 50)
    return {"signin": signin, "refresh": refresh_ms}


async def _create_user(settings: Settings) -> None:
    from baas.auth_cli import _started_auth

    async with _started_auth(settings) as auth:
        await auth.admin.create_admin("bench@example.com", PASSWORD)


def bench_bare_argon2(rounds: int = 10, **cheap: int) -> tuple[float, float]:
    # argon2-cffi defaults = baas defaults (RFC 9106 low-memory profile)
    hasher = argon2.PasswordHasher(**cheap)
    stored = hasher.hash(PASSWORD)
    return _latency_ms(lambda: hasher.verify(stored, PASSWORD), rounds)


async def _reservation_samples(rounds: int) -> tuple[list[float], list[float]]:
    reserve_ms, update_ms = [], []
    with tempfile.TemporaryDirectory() as data:
        async with open_store(SqliteConfig(Path(data) / "bench.sqlite3")) as store:
            await ensure_system_tables(store)
            throttle = SignInThrottle(StoreAttemptStore(store))
            for n in range(rounds):  # interleaved, so both see the same machine load
                start = time.perf_counter()
                attempt = await throttle.password_attempt("bench@example.com", "192.0.2.1")
                await attempt.succeeded()
                reserve_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                await store.update_item(
                    THROTTLE_TABLE,
                    {"key": "bare"},
                    "SET s0 = :n",
                    condition="attribute_not_exists(s0) OR s0 < :n",
                    values={":n": n},
                )
                update_ms.append((time.perf_counter() - start) * 1000)
    return reserve_ms, update_ms


def bench_reservation() -> tuple[tuple[float, float], tuple[float, float]]:
    """(reserve + release a sign-in attempt, one conditional UpdateItem), ms p50 / p95."""
    reserve_ms, update_ms = asyncio.run(_reservation_samples(300))
    return _percentiles(reserve_ms), _percentiles(update_ms)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench_bare_sign() -> tuple[float, float]:
    config = TokenConfig(issuer="https://baas.bench", audience="baas")
    keyring = KeyRing(InMemorySigningKeyRepository(), retention=config.key_retention)
    asyncio.run(keyring.load())
    key, private = keyring.signing_key()
    header = {"alg": key.alg, "kid": key.kid, "typ": "at+jwt"}
    payload = '{"sub":"user-1","iss":"https://baas.bench","aud":"baas","exp":9999999999}'
    return _latency_ms(
        lambda: jws.serialize_compact(header, payload, private, algorithms=[key.alg]), 200
    )


def main() -> None:
    cold_rate, warm_rate, bare_rate = bench_verification()
    http = bench_http({}, 10)
    cheap_http = bench_http(CHEAP_ARGON2, 100)
    argon = bench_bare_argon2()
    cheap_argon = bench_bare_argon2(100, time_cost=1, memory_cost=8192, parallelism=1)
    sign = bench_bare_sign()
    reservation, bare_update = bench_reservation()
    rows = [
        (
            "token verify, new token (/s, 1 core)",
            _rate_text(cold_rate),
            _rate_text(bare_rate),
            "joserfc verify",
        ),
        (
            "token verify, seen before (/s, 1 core)",
            _rate_text(warm_rate),
            _rate_text(bare_rate),
            "joserfc verify",
        ),
        ("sign-in over HTTP (ms p50 / p95)", _pair(http["signin"]), _pair(argon), "argon2 verify"),
        (
            "sign-in, cheap argon2 (ms p50 / p95)",
            _pair(cheap_http["signin"]),
            _pair(cheap_argon),
            "argon2 verify, same",
        ),
        (
            "sign-in attempt reservation (ms p50 / p95)",
            _pair(reservation),
            _pair(bare_update),
            "one UpdateItem",
        ),
        ("refresh over HTTP (ms p50 / p95)", _pair(http["refresh"]), _pair(sign), "joserfc sign"),
    ]
    print(f"{'measure':<40} {'baas':>16} {'baseline':>16}  baseline is")
    for name, ours, bare, what in rows:
        print(f"{name:<40} {ours:>16} {bare:>16}  {what}")


def _rate_text(rate: float) -> str:
    return f"{rate:,.0f}"


def _pair(values: tuple[float, float]) -> str:
    return f"{values[0]:.1f} / {values[1]:.1f}"


if __name__ == "__main__":
    main()
