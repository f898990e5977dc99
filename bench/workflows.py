"""Workflow overhead: baas's functions and client API beside hand-written temporalio.

Against one Temporal dev server (the embedded one, same flags as ``baas dev``), in the
same process and run:

* latency (p50/p99) of a workflow running 3 functions in sequence, started and awaited
  with ``workflows.start_call``/``result``, beside the same three activities in a
  hand-written ``@workflow.defn`` started with the raw client's ``execute_workflow``;
  the two kinds of run alternate so both see the same server state;
* the same workflow started through GraphQL (``startBaasSequence(input:, wait: true)``
  over HTTP with a bearer token, answered when it ends), served by a real uvicorn
  running ``create_app`` in a thread of this process (so it shares the GIL with the
  worker and the client: a separate API process would do a little better);
* throughput of 200 concurrent one-step invocations (``start_call`` of one function,
  i.e. ``InvokeFunctionWorkflow``), beside 200 concurrent raw one-activity workflows.

Both workflows are defined ``sandboxed=False`` (this file runs as ``__main__``, which
the sandbox cannot re-import), so the figures isolate what baas adds: the caller
interceptor and headers, raw-payload passing, the pydantic converter, and the runtime
wrapper around each function.

    .venv/bin/python bench/workflows.py
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and this very file would shadow
# the `workflows` package; put the project root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Awaitable, Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import timedelta  # noqa: E402

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from temporalio import activity, workflow  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from auth.secret_keys import SecretKeys  # noqa: E402
from baas.app import create_app  # noqa: E402
from baas.application import App, allow_call  # noqa: E402
from baas.config import Settings  # noqa: E402
from baas.ports import free_port  # noqa: E402
from baas.temporal_dev import EmbeddedTemporal  # noqa: E402
from functions import Caller, Context, function  # noqa: E402
from workflows import call, configure_client, result, start_call  # noqa: E402
from workflows.caller_signatures import CallerSigner  # noqa: E402
from workflows.worker import create_worker  # noqa: E402

RUNS = 60
CONCURRENT = 200
CALLER = Caller.user("bench", ["members"])
# The bench's API and its client sign callers with this key (never reuse it).
BENCH_SECRET_KEY = "YmVuY2gtd29ya2Zsb3dzLXNlY3JldC1rZXktbm90LWZvci11c2U"  # noqa: S105 - bench only
BENCH_SIGNER = CallerSigner.from_secret_keys(SecretKeys.parse(BENCH_SECRET_KEY))


@dataclass(frozen=True)
class Number:
    value: int


# --- baas: three functions and a workflow composing them ---------------------------


@function(timeout=10, retries=3, name="bench_add")
async def bench_add(ctx: Context, inp: Number) -> Number:
    return Number(inp.value + 1)


@function(timeout=10, retries=3, name="bench_double")
async def bench_double(ctx: Context, inp: Number) -> Number:
    return Number(inp.value * 2)


@function(timeout=10, retries=3, name="bench_square")
async def bench_square(ctx: Context, inp: Number) -> Number:
    return Number(inp.value * inp.value)


@workflow.defn(name="bench.BaasSequence", sandboxed=False)
class BaasSequenceWorkflow:
    @workflow.run
    async def run(self, inp: Number) -> Number:
        added = await call(bench_add, inp)
        doubled = await call(bench_double, added)
        return await call(bench_square, doubled)


# --- baseline: the same three as plain activities in a hand-written workflow --------


@activity.defn(name="raw_add")
async def raw_add(inp: Number) -> Number:
    return Number(inp.value + 1)


@activity.defn(name="raw_double")
async def raw_double(inp: Number) -> Number:
    return Number(inp.value * 2)


@activity.defn(name="raw_square")
async def raw_square(inp: Number) -> Number:
    return Number(inp.value * inp.value)


_TIMEOUT = timedelta(seconds=10)


@workflow.defn(name="bench.RawSequence", sandboxed=False)
class RawSequenceWorkflow:
    @workflow.run
    async def run(self, inp: Number) -> Number:
        added = await workflow.execute_activity(raw_add, inp, start_to_close_timeout=_TIMEOUT)
        doubled = await workflow.execute_activity(
            raw_double, added, start_to_close_timeout=_TIMEOUT
        )
        return await workflow.execute_activity(raw_square, doubled, start_to_close_timeout=_TIMEOUT)


@workflow.defn(name="bench.RawOne", sandboxed=False)
class RawOneWorkflow:
    @workflow.run
    async def run(self, inp: Number) -> Number:
        return await workflow.execute_activity(raw_add, inp, start_to_close_timeout=_TIMEOUT)


# --- through GraphQL: the API serving an App that exposes the baas workflow ----------

START_SEQUENCE = "mutation { startBaasSequence(input: {value: 3}, wait: true) { status result } }"


@contextlib.contextmanager
def graphql_api(
    data_dir: Path, temporal_address: str, task_queue: str
) -> Iterator[tuple[str, str]]:
    """(GraphQL URL, access token) of an API exposing BaasSequenceWorkflow."""
    app = App("bench")
    app.workflow(BaasSequenceWorkflow, rules=[allow_call.authenticated(operations=["start"])])
    settings = Settings.from_env(
        {
            "BAAS_DATA_DIR": str(data_dir),
            "BAAS_TEMPORAL_ADDRESS": temporal_address,
            "BAAS_TASK_QUEUE": task_queue,
            "BAAS_SECRET_KEY": BENCH_SECRET_KEY,
        }
    )
    asgi = create_app(settings, app=app)
    services = asgi.state.services
    port = free_port()
    config = uvicorn.Config(
        asgi,
        host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        token = services.tokens.issue_access_token("bench", ["members"]).token
        yield f"http://127.0.0.1:{port}/graphql", token
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- measurement ----------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(run: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started


async def measure(
    client: Client, baas_queue: str, raw_queue: str, http: httpx.AsyncClient, graphql: str
) -> None:
    async def baas_sequence() -> None:
        call_id = await start_call(
            client, BaasSequenceWorkflow, Number(3), CALLER, task_queue=baas_queue
        )
        out = await result(client, call_id, Number)
        assert out == Number(64)  # noqa: S101 - a wrong answer must not produce figures

    async def raw_sequence() -> None:
        out = await client.execute_workflow(
            RawSequenceWorkflow.run, Number(3), id=f"raw-{uuid.uuid4()}", task_queue=raw_queue
        )
        assert out == Number(64)  # noqa: S101

    async def graphql_sequence() -> None:
        response = await http.post(graphql, json={"query": START_SEQUENCE})
        answer = response.json()["data"]["startBaasSequence"]
        assert answer == {"status": "COMPLETED", "result": {"value": 64}}, answer  # noqa: S101

    async def baas_one() -> None:
        call_id = await start_call(client, bench_add, Number(1), CALLER, task_queue=baas_queue)
        await result(client, call_id, bench_add)

    async def raw_one() -> None:
        await client.execute_workflow(
            RawOneWorkflow.run, Number(1), id=f"raw-{uuid.uuid4()}", task_queue=raw_queue
        )

    # First runs pay for connections and caches.
    for warm in (baas_sequence, raw_sequence, graphql_sequence):
        for _ in range(3):
            await warm()
    baas_times: list[float] = []
    raw_times: list[float] = []
    graphql_times: list[float] = []
    for _ in range(RUNS):
        baas_times.append(await timed(baas_sequence))
        raw_times.append(await timed(raw_sequence))
        graphql_times.append(await timed(graphql_sequence))

    throughput: dict[str, float] = {}
    for name, one in (("raw", raw_one), ("baas", baas_one)):
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(CONCURRENT)))
        throughput[name] = CONCURRENT / (time.perf_counter() - started)

    ms = 1000
    print(f"\n3-function sequential workflow, {RUNS} runs each (ms)")
    print(f"{'':28}{'p50':>8}{'p99':>8}")
    print(
        f"{'baas (start_call + result)':28}"
        f"{percentile(baas_times, 0.5) * ms:8.1f}{percentile(baas_times, 0.99) * ms:8.1f}"
    )
    print(
        f"{'raw temporalio':28}"
        f"{percentile(raw_times, 0.5) * ms:8.1f}{percentile(raw_times, 0.99) * ms:8.1f}"
    )
    print(
        f"{'GraphQL (wait: true)':28}"
        f"{percentile(graphql_times, 0.5) * ms:8.1f}{percentile(graphql_times, 0.99) * ms:8.1f}"
    )
    print(f"\n{CONCURRENT} concurrent one-step invocations (workflows/s)")
    print(f"{'baas (InvokeFunction)':28}{throughput['baas']:8.1f}")
    print(f"{'raw temporalio':28}{throughput['raw']:8.1f}")
    print(
        f"\nmean baas overhead per sequence: {statistics.mean(baas_times) * ms - statistics.mean(raw_times) * ms:+.1f} ms"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedTemporal(
            host="127.0.0.1",
            port=free_port(),
            ui_port=None,
            db_path=Path(tmp) / "temporal.sqlite3",
            log_path=Path(tmp) / "temporal.log",
        )
        await server.start()
        try:
            client = await connect(server.address)
            baas_queue, raw_queue = f"bench-baas-{uuid.uuid4()}", f"bench-raw-{uuid.uuid4()}"
            baas_worker = create_worker(
                client,
                task_queue=baas_queue,
                workflows=[BaasSequenceWorkflow],
                functions=[bench_add, bench_double, bench_square],
                max_concurrent_activities=CONCURRENT,
            )
            raw_worker = Worker(
                client,
                task_queue=raw_queue,
                workflows=[RawSequenceWorkflow, RawOneWorkflow],
                activities=[raw_add, raw_double, raw_square],
                max_concurrent_activities=CONCURRENT,
            )
            with graphql_api(Path(tmp) / "api", server.address, baas_queue) as (url, token):
                headers = {"Authorization": f"Bearer {token}"}
                async with (
                    baas_worker,
                    raw_worker,
                    httpx.AsyncClient(headers=headers, timeout=30) as http,
                ):
                    await measure(client, baas_queue, raw_queue, http, url)
        finally:
            await server.stop()


async def connect(address: str) -> Client:
    for _ in range(100):
        try:
            # Signs callers as the bench's API does: the worker checks them.
            return configure_client(await Client.connect(address), BENCH_SIGNER)
        except RuntimeError:  # the port opens before the frontend is healthy
            await asyncio.sleep(0.1)
    raise RuntimeError(f"Temporal at {address} never became healthy")


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)  # the Temporal SDK can crash at interpreter exit (FACTS.md)
