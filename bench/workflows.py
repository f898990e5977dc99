"""Workflow overhead: baas's functions and client API beside hand-written temporalio.

Against one Temporal dev server (the embedded one, same flags as ``baas dev``), in the
same process and run:

* latency (p50/p99) of a workflow running 3 functions in sequence, started and awaited
  with ``workflows.start_call``/``result``, beside the same three activities in a
  hand-written ``@workflow.defn`` started with the raw client's ``execute_workflow``;
  the kinds of run alternate so all see the same server state;
* each baas figure twice: with calls in the worker's pool of function processes (what
  a worker does), and in the worker's own process (as before the pool: no isolation, no
  limits). Temporal's ~50 ms per workflow task hides a difference of a millisecond, so
* the warm pool call is also measured at the activity, without a server (temporalio's
  ActivityEnvironment runs the activity as the worker would): one call in the pool
  beside the same call in process, and a function making 100 store calls (each a round
  trip from its process to the worker), with the worker's CPU time per call;
* the cold start of a pool process: forked from the fork server and greeted until
  ready, and the fork server's own start (a fresh interpreter importing this file's
  functions);
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
import functools  # noqa: E402
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
from temporalio.common import RawValue  # noqa: E402
from temporalio.testing import ActivityEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from auth.secret_keys import SecretKeys  # noqa: E402
from baas.app import create_app  # noqa: E402
from baas.application import App, allow_call  # noqa: E402
from baas.config import Settings  # noqa: E402
from baas.ports import free_port  # noqa: E402
from baas.temporal_dev import EmbeddedTemporal  # noqa: E402
from functions import Caller, Context, FunctionRuntime, PoolSettings, function  # noqa: E402
from functions.activity import as_activity  # noqa: E402
from functions.forkserver import ForkServer  # noqa: E402
from functions.pool import FunctionPool, code_to_load  # noqa: E402
from functions.services import ActsAs  # noqa: E402
from workflows import baas_data_converter, call, configure_client, result, start_call  # noqa: E402
from workflows.caller_signatures import CallerSigner  # noqa: E402
from workflows.worker import create_worker  # noqa: E402

RUNS = 60
CONCURRENT = 200
COLD_STARTS = 20
STORE_CALLS = 100
ACTIVITY_RUNS = 500
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


class NoopStore:
    """A store that answers at once: what remains of a store call is the crossing."""

    async def get_item(self, table: str, key: dict[str, str]) -> dict[str, str]:
        return key


def noop_store(caller: Caller, acts_as: ActsAs) -> NoopStore:
    return NoopStore()


@function(timeout=10, retries=3, name="bench_store_calls")
async def bench_store_calls(ctx: Context, inp: Number) -> Number:
    for n in range(inp.value):
        await ctx.store.get_item("t", {"id": str(n)})
    return inp


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


@dataclass(frozen=True)
class Queues:
    pool: str
    inproc: str
    raw: str


async def measure(client: Client, queues: Queues, http: httpx.AsyncClient, graphql: str) -> None:
    def sequence(queue: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            call_id = await start_call(
                client, BaasSequenceWorkflow, Number(3), CALLER, task_queue=queue
            )
            out = await result(client, call_id, Number)
            assert out == Number(64)  # noqa: S101 - a wrong answer must not produce figures

        return run

    def one(queue: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            call_id = await start_call(client, bench_add, Number(1), CALLER, task_queue=queue)
            await result(client, call_id, bench_add)

        return run

    async def raw_sequence() -> None:
        out = await client.execute_workflow(
            RawSequenceWorkflow.run, Number(3), id=f"raw-{uuid.uuid4()}", task_queue=queues.raw
        )
        assert out == Number(64)  # noqa: S101

    async def raw_one() -> None:
        await client.execute_workflow(
            RawOneWorkflow.run, Number(1), id=f"raw-{uuid.uuid4()}", task_queue=queues.raw
        )

    async def graphql_sequence() -> None:
        response = await http.post(graphql, json={"query": START_SEQUENCE})
        answer = response.json()["data"]["startBaasSequence"]
        assert answer == {"status": "COMPLETED", "result": {"value": 64}}, answer  # noqa: S101

    latency: dict[str, Callable[[], Awaitable[None]]] = {
        "sequence, pool": sequence(queues.pool),
        "sequence, in process": sequence(queues.inproc),
        "sequence, raw temporalio": raw_sequence,
        "sequence, GraphQL (pool)": graphql_sequence,
        "one call, pool": one(queues.pool),
        "one call, in process": one(queues.inproc),
        "one call, raw temporalio": raw_one,
    }
    # First runs pay for connections, caches and the pool's first processes.
    for run in latency.values():
        for _ in range(3):
            await run()
    times: dict[str, list[float]] = {name: [] for name in latency}
    for _ in range(RUNS):  # interleaved, so every kind sees the same server state
        for name, run in latency.items():
            times[name].append(await timed(run))

    throughput: dict[str, float] = {}
    for name, run in (
        ("raw temporalio", raw_one),
        ("baas, pool", one(queues.pool)),
        ("baas, in process", one(queues.inproc)),
    ):
        started = time.perf_counter()
        await asyncio.gather(*(run() for _ in range(CONCURRENT)))
        throughput[name] = CONCURRENT / (time.perf_counter() - started)

    ms = 1000
    print(f"\nLatency, {RUNS} runs each (ms): 3-function sequence, one-function call")
    print(f"{'':34}{'p50':>8}{'p99':>8}")
    for name, samples in times.items():
        print(f"{name:34}{percentile(samples, 0.5) * ms:8.1f}{percentile(samples, 0.99) * ms:8.1f}")

    def added(a: str, b: str) -> float:
        return (percentile(times[a], 0.5) - percentile(times[b], 0.5)) * ms

    print(
        f"\nwarm pool call, added to one call (p50):   {added('one call, pool', 'one call, in process'):+.1f} ms"
    )
    print(
        f"  per function in the sequence (p50):      {added('sequence, pool', 'sequence, in process') / 3:+.1f} ms"
    )
    print(
        f"baas over raw temporalio, one call (p50):  {added('one call, pool', 'one call, raw temporalio'):+.1f} ms"
    )
    print(
        "mean baas overhead per sequence (pool):    "
        f"{statistics.mean(times['sequence, pool']) * ms - statistics.mean(times['sequence, raw temporalio']) * ms:+.1f} ms"
    )
    print(f"\n{CONCURRENT} concurrent one-step invocations (workflows/s)")
    for name, rate in throughput.items():
        print(f"{name:34}{rate:8.1f}")


async def at_the_activity() -> None:
    """Warm calls run as the worker runs their activity, without a Temporal server."""
    runtime = FunctionRuntime(store_for=noop_store, pool=PoolSettings(warm_processes=1))
    converter = baas_data_converter()
    functions = [bench_add, bench_store_calls]
    pool = FunctionPool(functions, runtime, converter=converter.payload_converter_class)
    await pool.start()
    environment = ActivityEnvironment()
    environment.payload_converter = converter.payload_converter
    rows: dict[str, tuple[list[float], float]] = {}
    try:
        for label, fn, value in (
            ("one call", bench_add, 1),
            (f"{STORE_CALLS} store calls", bench_store_calls, STORE_CALLS),
        ):
            raw = RawValue(converter.payload_converter.to_payload(Number(value)))
            for where, activity_fn in (
                ("pool", as_activity(fn, runtime, pool)),
                ("in process", as_activity(fn, runtime)),
            ):
                for _ in range(20):  # warm: the process, caches
                    await environment.run(activity_fn, raw)
                cpu = time.process_time()
                samples = [
                    await timed(functools.partial(environment.run, activity_fn, raw))
                    for _ in range(ACTIVITY_RUNS)
                ]
                rows[f"{label}, {where}"] = (samples, time.process_time() - cpu)
    finally:
        await pool.stop()
    ms = 1000
    print(f"\nAt the activity, {ACTIVITY_RUNS} warm calls each (ms)")
    print(f"{'':34}{'p50':>8}{'p99':>8}{'worker CPU/call':>18}")
    for name, (samples, cpu) in rows.items():
        print(
            f"{name:34}{percentile(samples, 0.5) * ms:8.3f}{percentile(samples, 0.99) * ms:8.3f}"
            f"{cpu / ACTIVITY_RUNS * ms:18.3f}"
        )

    def p50(name: str) -> float:
        return percentile(rows[name][0], 0.5) * ms

    print(
        f"\nwarm pool call, added (p50):          {p50('one call, pool') - p50('one call, in process'):+.3f} ms"
    )
    store = f"{STORE_CALLS} store calls"
    per_call = (
        (p50(f"{store}, pool") - p50(f"{store}, in process"))
        - (p50("one call, pool") - p50("one call, in process"))
    ) / STORE_CALLS
    print(f"store call from a pool process, added (p50): {per_call * 1000:+.0f} us")


async def cold_starts() -> None:
    """A pool process forked and greeted until ready; the fork server's own start."""
    runtime = FunctionRuntime(pool=PoolSettings(processes=COLD_STARTS + 1, warm_processes=0))
    converter = baas_data_converter().payload_converter_class
    forkserver = ForkServer()
    try:
        started = time.perf_counter()
        await asyncio.to_thread(forkserver.load, code_to_load([bench_add], converter))
        server_start = time.perf_counter() - started
        pool = FunctionPool([bench_add], runtime, converter=converter, forkserver=forkserver)
        profile = pool.limits(bench_add.name).profile
        samples: list[float] = []
        for _ in range(COLD_STARTS):
            started = time.perf_counter()
            process = await pool._launch(pool._new_process(profile))
            samples.append(time.perf_counter() - started)
            process.end(None)
            await process.ended.wait()
        await pool.stop()
    finally:
        forkserver.close()
    ms = 1000
    print(f"\nCold start, {COLD_STARTS} pool processes (ms)")
    print(
        f"{'new pool process, forked':34}{percentile(samples, 0.5) * ms:8.1f} p50{percentile(samples, 0.99) * ms:8.1f} p99"
    )
    print(f"{'fork server (python -I + imports)':34}{server_start * ms:8.1f}")


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
            queues = Queues(*(f"bench-{kind}-{uuid.uuid4()}" for kind in ("pool", "inproc", "raw")))
            functions = [bench_add, bench_double, bench_square, bench_store_calls]
            workers = [
                create_worker(
                    client,
                    task_queue=queue,
                    workflows=[BaasSequenceWorkflow],
                    functions=functions,
                    runtime=FunctionRuntime(store_for=noop_store, pool=PoolSettings(isolated=pool)),
                    max_concurrent_activities=CONCURRENT,
                )
                for queue, pool in ((queues.pool, True), (queues.inproc, False))
            ]
            raw_worker = Worker(
                client,
                task_queue=queues.raw,
                workflows=[RawSequenceWorkflow, RawOneWorkflow],
                activities=[raw_add, raw_double, raw_square],
                max_concurrent_activities=CONCURRENT,
            )
            with graphql_api(Path(tmp) / "api", server.address, queues.pool) as (url, token):
                headers = {"Authorization": f"Bearer {token}"}
                async with (
                    workers[0],
                    workers[1],
                    raw_worker,
                    httpx.AsyncClient(headers=headers, timeout=30) as http,
                ):
                    await measure(client, queues, http, url)
            await at_the_activity()
            await cold_starts()
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
