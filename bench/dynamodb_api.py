"""boto3 PutItem, GetItem and Query throughput: baas's DynamoDB endpoint beside two
existing DynamoDB implementations started in the same run.

    .venv/bin/python bench/dynamodb_api.py [--seconds 3] [--clients 2]

Peers (each in its own process, on its own port, in memory):
- dynalite (npm, on LevelDB's in-memory backend): ``npm install --prefix bench``;
- moto's server mode (PyPI ``moto[server]``, ``moto_server``).

baas is ``baas serve`` (one process) with ``BAAS_DYNAMODB_PORT``: measured on that port
(the endpoint's own HTTP/1.1 server) and at ``/dynamodb`` of the API's port (the whole
API app under uvicorn), with its SQLite store in a temporary directory and
``BAAS_SQLITE_SYNCHRONOUS=NORMAL`` by default (a write survives a crash of the process;
``--durability FULL`` fsyncs every commit), the peers keeping everything in memory.
Every request to baas is SigV4-verified against an access key made by
``baas keys create``.

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


# --- the servers under test -----------------------------------------------------------


@contextlib.contextmanager
def _process(
    name: str, argv: list[str], ports: list[int], env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run ``argv`` until the block ends, once it listens on every one of ``ports``."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in ports:
            _wait_for_port(port, process, name)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def baas_serve(durability: str) -> Iterator[tuple[str, str]]:
    """``baas serve`` as a user runs it, with the endpoint also on a port of its own.

    Yields the endpoint's URL on the API's port (``/dynamodb``) and on its own port.
    Temporal is not needed for this endpoint: serve starts without it.
    """
    executable = Path(sys.executable).parent / "baas"
    api_port, own_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as directory:
        env = {name: value for name, value in os.environ.items() if not name.startswith("BAAS_")}
        env.update(
            BAAS_DATA_DIR=directory,
            BAAS_PORT=str(api_port),
            BAAS_DYNAMODB_PORT=str(own_port),
            BAAS_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
            BAAS_SQLITE_SYNCHRONOUS=durability,
            BAAS_LOG_LEVEL="WARNING",  # no log line per request
        )
        made = subprocess.run(
            [str(executable), "keys", "create", "--id", KEY_ID, "--secret", SECRET],
            env=env,
            capture_output=True,
            check=False,
        )
        if made.returncode != 0:
            raise RuntimeError(f"baas keys create failed: {made.stderr.decode()[-500:]}")
        with _process("baas", [str(executable), "serve"], [api_port, own_port], env):
            yield f"http://127.0.0.1:{api_port}/dynamodb", f"http://127.0.0.1:{own_port}"


@contextlib.contextmanager
def dynalite_server() -> Iterator[str]:
    cli = ROOT / "bench" / "node_modules" / "dynalite" / "cli.js"
    if not cli.exists():
        raise RuntimeError("dynalite is missing: run `npm install --prefix bench`")
    port = free_port()
    with _process("dynalite", ["node", str(cli), "--port", str(port)], [port]):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if executable is None:
        raise RuntimeError("moto_server is missing: pip install 'moto[server]'")
    port = free_port()
    with _process("moto", [executable, "-H", "127.0.0.1", "-p", str(port)], [port]):
        yield f"http://127.0.0.1:{port}"


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
        # A partition per client process: every put creates an item, on every server
        # and in every round (replacing one is other work).
        partition = f"w{worker}-{os.getpid()}"
        return lambda i: client.put_item(TableName=TABLE, Item=_item(partition, i))
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
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        api_url, own_url = stack.enter_context(baas_serve(args.durability))
        peers = {
            "dynalite (in memory)": stack.enter_context(dynalite_server()),
            "moto_server (in memory)": stack.enter_context(moto_server()),
        }
        for url in (api_url, *peers.values()):  # one store behind both of baas's URLs
            prepare(url)
        urls = {"baas, own port": own_url, "baas, API port /dynamodb": api_url, **peers}
        samples: dict[str, dict[str, list[float]]] = {
            label: {name: [] for name in OPERATIONS} for label in urls
        }
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
