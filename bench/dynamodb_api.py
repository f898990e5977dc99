"""boto3 PutItem, GetItem and Query throughput: baas's DynamoDB endpoint beside two
existing DynamoDB implementations started in the same run.

    .venv/bin/python bench/dynamodb_api.py [--seconds 3] [--clients 2]

Peers (each in its own process, on its own port, in memory):
- dynalite (npm, on LevelDB's in-memory backend): ``npm install --prefix bench``;
- moto's server mode (PyPI ``moto[server]``, ``moto_server``).

baas runs on its own port (its HTTP/1.1 server, as ``BAAS_DYNAMODB_PORT`` serves it)
and at ``/dynamodb`` of an app under uvicorn (as the API's port serves it), both on
uvloop and httptools, with its SQLite store in a temporary
directory, ``synchronous=NORMAL`` by default (a write survives a crash of the process;
``--durability FULL`` fsyncs every commit), the peers keeping everything in memory.
Every request to baas is SigV4-verified against a stored access key.

Load: ``--clients`` processes, each with its own boto3 client, send requests one after
the other for ``--seconds``. Items are ~200 bytes; a Query reads one page of 20 items
from a partition of 100. A figure is operations per second summed over the clients,
the median of ``--rounds`` measurements taken in turn with the other servers.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from baas.ports import free_port  # noqa: E402 - after the path is set

KEY_ID = "AKIABENCHMARK0000001"
SECRET = "bench-secret-0123456789abcdefghijklmnop"  # noqa: S105 - a throwaway bench key
TABLE = "bench"
PARTITION_ITEMS = 100


def _wait_for_port(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on port {port}")


# --- the baas server (run in a child process of this script) ---------------------------


def serve_baas(port: int, database: Path, durability: str, mode: str) -> None:
    """Serve the endpoint on its own port (``own``) or at /dynamodb of an API app (``api``).

    ``own`` is what ``BAAS_DYNAMODB_PORT`` runs (baas's own HTTP/1.1 server); ``api``
    mounts the routes in a Starlette app under uvicorn, behind the API's request-id
    middleware, as ``create_app`` would (without the parts unrelated to this endpoint).
    """
    import asyncio

    import uvicorn
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    from auth.access_keys import AccessKeyRepository
    from baas.dynamodb import dynamodb_routes, dynamodb_server
    from baas.request_ids import RequestIdMiddleware
    from storage import SqliteConfig, open_store

    async def main(config: uvicorn.Config) -> None:
        store = await open_store(SqliteConfig(database, synchronous=durability))  # type: ignore[arg-type]
        await AccessKeyRepository(store).create(key_id=KEY_ID, secret=SECRET)
        if mode == "own":
            await dynamodb_server(store, "127.0.0.1", port).serve()
            return
        config.app = Starlette(
            routes=dynamodb_routes(store), middleware=[Middleware(RequestIdMiddleware)]
        )
        await uvicorn.Server(config).serve()

    # As `baas serve` configures uvicorn (uvloop and httptools when installed).
    config = uvicorn.Config(
        None,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(main(config))


# --- the servers under test -----------------------------------------------------------


@contextlib.contextmanager
def _process(name: str, argv: list[str], port: int) -> Iterator[str]:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process, name)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def baas_server(durability: str, mode: str) -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        argv = [sys.executable, __file__, "--serve-baas", str(port), directory, durability, mode]
        with _process("baas", argv, port) as url:
            yield url + ("/dynamodb" if mode == "api" else "")


@contextlib.contextmanager
def dynalite_server() -> Iterator[str]:
    cli = ROOT / "bench" / "node_modules" / "dynalite" / "cli.js"
    if not cli.exists():
        raise RuntimeError("dynalite is missing: run `npm install --prefix bench`")
    port = free_port()
    with _process("dynalite", ["node", str(cli), "--port", str(port)], port) as url:
        yield url


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if executable is None:
        raise RuntimeError("moto_server is missing: pip install 'moto[server]'")
    port = free_port()
    with _process("moto", [executable, "-H", "127.0.0.1", "-p", str(port)], port) as url:
        yield url


# --- the load ---------------------------------------------------------------------------


def _client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}, max_pool_connections=4),
    )


def _item(pk: str, sk: int) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"N": str(sk)},
        "name": {"S": f"item {sk} of {pk}"},
        "count": {"N": str(sk * 7)},
        "tags": {"SS": ["alpha", "beta", "gamma"]},
        "body": {"S": "x" * 120},
    }


def prepare(url: str) -> None:
    client = _client(url)
    client.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=TABLE, WaiterConfig={"Delay": 0.2})
    for start in range(0, PARTITION_ITEMS, 25):
        requests = [
            {"PutRequest": {"Item": _item("hot", sk)}}
            for sk in range(start, min(start + 25, PARTITION_ITEMS))
        ]
        client.batch_write_item(RequestItems={TABLE: requests})


def _operation(name: str, client: Any, worker: int) -> Callable[[int], object]:
    if name == "PutItem":
        return lambda i: client.put_item(TableName=TABLE, Item=_item(f"w{worker}", i))
    if name == "GetItem":
        return lambda i: client.get_item(
            TableName=TABLE, Key={"pk": {"S": "hot"}, "sk": {"N": str(i % PARTITION_ITEMS)}}
        )
    return lambda i: client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "hot"}},
        Limit=20,
    )


def _load(url: str, name: str, worker: int, seconds: float, results: Any) -> None:
    client = _client(url)
    call = _operation(name, client, worker)
    for i in range(20):  # warm up the connection and the client's caches
        call(i)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        call(done)
        done += 1
    results.put(done / seconds)


def measure(url: str, name: str, clients: int, seconds: float) -> float:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=_load, args=(url, name, worker, seconds, results))
        for worker in range(clients)
    ]
    for worker in workers:
        worker.start()
    rates = [results.get(timeout=seconds + 60) for _ in workers]
    for worker in workers:
        worker.join()
    return float(sum(rates))


OPERATIONS = ("PutItem", "GetItem", "Query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per figure")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--durability", choices=["NORMAL", "FULL"], default="NORMAL")
    parser.add_argument("--serve-baas", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baas:
        port, directory, durability, mode = args.serve_baas
        serve_baas(int(port), Path(directory) / "baas.sqlite3", durability, mode)
        return

    servers: dict[str, Callable[[], contextlib.AbstractContextManager[str]]] = {
        "baas, own port": lambda: baas_server(args.durability, "own"),
        "baas, API port /dynamodb": lambda: baas_server(args.durability, "api"),
        "dynalite (in memory)": dynalite_server,
        "moto_server (in memory)": moto_server,
    }
    samples: dict[str, dict[str, list[float]]] = {
        label: {name: [] for name in OPERATIONS} for label in servers
    }
    with contextlib.ExitStack() as stack:
        urls = {label: stack.enter_context(start()) for label, start in servers.items()}
        for url in urls.values():
            prepare(url)
        # Rounds interleave the servers, so load from elsewhere on the machine spreads
        # over all of them instead of skewing one; each figure is a median.
        for round_number in range(args.rounds):
            for name in OPERATIONS:
                for label, url in urls.items():
                    samples[label][name].append(measure(url, name, args.clients, args.seconds))
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)

    print(
        f"\nbaas: SQLite file, synchronous={args.durability}; the peers keep data in memory."
        f"\nboto3 ops/s, median of {args.rounds} rounds ({args.clients} client processes, "
        f"{args.seconds:g} s per measurement, {os.cpu_count()} CPUs)\n"
    )
    width = max(len(label) for label in samples)
    print(f"{'server':<{width}}  " + "  ".join(f"{name:>9}" for name in OPERATIONS))
    for label, rates in samples.items():
        figures = "  ".join(f"{statistics.median(rates[name]):>9,.0f}" for name in OPERATIONS)
        print(f"{label:<{width}}  {figures}")


if __name__ == "__main__":
    main()
