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
- with both parameter sets, on the same server and interleaved with the password
  sign-ins above: a sign-in with a second factor (the password, then the TOTP step:
  two requests; one account per round, as a step's code is accepted once), and a
  sign-in by emailed code (``/auth/email/send``, then ``/auth/email/verify`` with the
  code read from the dev outbox; the wait for the mail is not counted, one address per
  round), both beside the password sign-in of the same run;
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
from tests.integration.auth.auth_server import AuthServer  # noqa: E402
from tests.integration.auth.mfa_support import AuthenticatorApp  # noqa: E402
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
    """Sign-in (password; password + TOTP; emailed code) and refresh latency, ms p50/p95."""
    with tempfile.TemporaryDirectory() as data:
        settings = Settings.from_env(
            {
                "BAAS_DATA_DIR": data,
                "BAAS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
                "BAAS_TRUSTED_PROXIES": "127.0.0.1/32",
                **argon2_env,
            }
        )
        mfa_users = [f"mfa-{n}@example.com" for n in range(signin_rounds)]
        asyncio.run(_create_users(settings, ["bench@example.com", *mfa_users]))
        with (
            serve_in_thread(create_app(settings)) as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            server = AuthServer(base, Path(data), client)

            def sign_in(email: str = "bench@example.com") -> dict[str, object]:
                response = client.post("/auth/signin", json={"email": email, "password": PASSWORD})
                response.raise_for_status()
                answer: dict[str, object] = response.json()
                return answer

            sign_in()  # warm up (dummy hash, connections)
            apps = [_enrol_totp(server, email, sign_in(email)) for email in mfa_users]
            signin, mfa = [], []
            for email, app in zip(mfa_users, apps, strict=True):  # interleaved: same load
                signin.append(_timed(sign_in))
                code = app.code()  # outside the clock (it may wait for the next step)
                start = time.perf_counter()
                _sign_in_with_totp(client, sign_in(email), code)
                mfa.append((time.perf_counter() - start) * 1000)
            by_email = _sign_ins_by_email(server, signin_rounds)
            current = [str(sign_in()["refresh_token"])]

            def refresh() -> None:
                response = client.post(
                    "/auth/token",
                    json={"grant_type": "refresh_token", "refresh_token": current[0]},
                )
                response.raise_for_status()
                current[0] = response.json()["refresh_token"]

            refresh_ms = _latency_ms(refresh, 50)
    return {
        "signin": _percentiles(signin),
        "mfa": _percentiles(mfa),
        "email": _percentiles(by_email),
        "refresh": refresh_ms,
    }


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _enrol_totp(server: AuthServer, email: str, tokens: dict[str, object]) -> AuthenticatorApp:
    access = str(tokens["access_token"])
    started = server.post("/auth/mfa/totp/enrol", {"password": PASSWORD}, token=access)
    started.raise_for_status()
    app = AuthenticatorApp.from_enrolment(started.json())
    server.post("/auth/mfa/totp/confirm", {"code": app.code()}, token=access).raise_for_status()
    return app


def _sign_in_with_totp(client: httpx.Client, first: dict[str, object], code: str) -> None:
    if not first.get("mfa_required"):
        raise RuntimeError(f"no second step asked for: {first}")
    answer = client.post("/auth/mfa/verify", json={"mfa_token": first["mfa_token"], "code": code})
    answer.raise_for_status()


def _sign_ins_by_email(server: AuthServer, rounds: int) -> list[float]:
    """Send + verify per round (ms), each for a new address from a client address of its
    own (a sign-up by email is 20 an hour per client address: the API trusts the local
    proxy's X-Forwarded-For here)."""
    samples = []
    for n in range(rounds):
        email = f"nina-{n}@example.com"
        headers = {"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"}
        start = time.perf_counter()
        server.post("/auth/email/send", {"email": email}, headers=headers).raise_for_status()
        sent = time.perf_counter() - start
        code = server.code_for(email, "sign-in")  # the mail is written in the background
        start = time.perf_counter()
        answer = server.post("/auth/email/verify", {"email": email, "code": code}, headers=headers)
        answer.raise_for_status()
        samples.append((sent + time.perf_counter() - start) * 1000)
    return samples


async def _create_users(settings: Settings, emails: list[str]) -> None:
    from baas.auth_cli import _started_auth

    async with _started_auth(settings, create=True) as auth:
        for email in emails:
            await auth.admin.create_admin(email, PASSWORD)


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
            "MFA sign-in: password + TOTP (ms)",
            _pair(http["mfa"]),
            _pair(http["signin"]),
            "password sign-in",
        ),
        (
            "sign-in by emailed code (ms)",
            _pair(http["email"]),
            _pair(http["signin"]),
            "password sign-in",
        ),
        (
            "sign-in, cheap argon2 (ms p50 / p95)",
            _pair(cheap_http["signin"]),
            _pair(cheap_argon),
            "argon2 verify, same",
        ),
        (
            "MFA sign-in, cheap argon2 (ms)",
            _pair(cheap_http["mfa"]),
            _pair(cheap_http["signin"]),
            "password sign-in, same",
        ),
        (
            "by emailed code, cheap argon2 (ms)",
            _pair(cheap_http["email"]),
            _pair(cheap_http["signin"]),
            "password sign-in, same",
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
