"""boto3 PutItem, GetItem and Query throughput: baas's DynamoDB endpoint beside two
existing DynamoDB implementations started in the same run.

    .venv/bin/python bench/dynamodb_api.py [--seconds 3] [--clients 2]

Peers (each in its own process, on its own port):
- dynalite (npm: ``npm install --prefix bench``), twice: on LevelDB's in-memory backend,
  and on LevelDB files (``--path``), which write without an fsync;
- moto's server mode (PyPI ``moto[server]``, ``moto_server``), in memory.

baas is ``baas serve`` (one process) with ``BAAS_DYNAMODB_PORT``: measured on that port
(the endpoint's own HTTP/1.1 server) and at ``/dynamodb`` of the API's port (the whole
API app under uvicorn), with its SQLite store in a temporary directory and
``BAAS_SQLITE_SYNCHRONOUS=NORMAL`` by default: a write survives a crash of the process
but not of the machine, as with dynalite on LevelDB files (``--durability FULL`` fsyncs
every commit). Every request to baas is SigV4-verified against an access key made by
``baas keys create``.

Load: ``--clients`` processes, started once, each with its own boto3 client per server.
For a measurement every client warms up, then all of them send requests one after the
other over the same ``--seconds``. Items are ~200 bytes; a Query reads one page of 20
items from a partition of 100. A figure is operations per second summed over the
clients, the median of ``--rounds`` measurements taken in turn with the other servers,
after one round that warms every server up and is not counted.

A second table gives each server's CPU time (user + system, from ``/proc``, Linux
only) per request it answered, a third the clients' CPU time per call. The clients
share the machine's CPUs with the server: boto3 costs more per call than any of these
servers, so the ops/s of different servers are close together, and the second table
shows the servers' own cost apart.
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
) -> Iterator[int]:
    """Run ``argv`` until the block ends, once it listens on every one of ``ports``;
    yields its process id."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for port in ports:
            _wait_for_port(port, process, name)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def baas_serve(durability: str) -> Iterator[tuple[str, str, int]]:
    """``baas serve`` as a user runs it, with the endpoint also on a port of its own.

    Yields the endpoint's URL on the API's port (``/dynamodb``) and on its own port, and
    the process id.
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
            [str(executable), "keys", "create", "--id", KEY_ID, "--secret", SECRET, "--create"],
            env=env,
            capture_output=True,
            check=False,
        )
        if made.returncode != 0:
            raise RuntimeError(f"baas keys create failed: {made.stderr.decode()[-500:]}")
        with _process("baas", [str(executable), "serve"], [api_port, own_port], env) as pid:
            yield f"http://127.0.0.1:{api_port}/dynamodb", f"http://127.0.0.1:{own_port}", pid


@contextlib.contextmanager
def dynalite_server(on_disk: bool = False) -> Iterator[tuple[str, int]]:
    """dynalite in memory, or ``on_disk`` with a LevelDB directory (its writes reach the
    files without an fsync, as baas's do with ``synchronous=NORMAL``)."""
    cli = ROOT / "bench" / "node_modules" / "dynalite" / "cli.js"
    if not cli.exists():
        raise RuntimeError("dynalite is missing: run `npm install --prefix bench`")
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        argv = ["node", str(cli), "--port", str(port)]
        if on_disk:
            argv += ["--path", str(Path(directory) / "leveldb")]
        with _process("dynalite", argv, [port]) as pid:
            yield f"http://127.0.0.1:{port}", pid


@contextlib.contextmanager
def moto_server() -> Iterator[tuple[str, int]]:
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if executable is None:
        raise RuntimeError("moto_server is missing: pip install 'moto[server]'")
    port = free_port()
    with _process("moto", [executable, "-H", "127.0.0.1", "-p", str(port)], [port]) as pid:
        yield f"http://127.0.0.1:{port}", pid


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


_WARM_UP_CALLS = 20


def _client_worker(worker: int, commands: Any, results: Any, start: Any) -> None:
    """A client process: measures what ``commands`` asks until it gets None.

    A command is ``(url, operation, seconds)``. The worker warms up (connection and
    caches), waits at ``start`` until every client is warm, then calls for ``seconds``;
    it answers how many calls it made, in how many seconds, with how much CPU.
    """
    import resource

    clients: dict[str, Any] = {}
    while (command := commands.get()) is not None:
        url, name, seconds = command
        if url not in clients:
            clients[url] = _client(url)
        call = _operation(name, clients[url], worker)
        for i in range(_WARM_UP_CALLS):
            call(i)
        start.wait()  # every client measures over the same window
        before = resource.getrusage(resource.RUSAGE_SELF)
        began = time.perf_counter()
        done = 0
        while time.perf_counter() - began < seconds:
            call(done)
            done += 1
        elapsed = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        results.put((done, elapsed, cpu))


class Load:
    """``clients`` client processes, started once and reused for every measurement."""

    def __init__(self, clients: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._start = context.Barrier(clients)
        self._results = context.Queue()
        self._commands = [context.Queue() for _ in range(clients)]
        self._workers = [
            context.Process(
                target=_client_worker, args=(worker, commands, self._results, self._start)
            )
            for worker, commands in enumerate(self._commands)
        ]
        for process in self._workers:
            process.start()

    def measure(self, url: str, name: str, seconds: float) -> tuple[float, int, float]:
        """Operations per second summed over the clients, how many requests the server
        answered in all (the clients' warm-up included), and the clients' CPU time per
        call in µs."""
        for commands in self._commands:
            commands.put((url, name, seconds))
        answers = [self._results.get(timeout=seconds + 120) for _ in self._commands]
        calls = sum(done for done, _, _ in answers)
        rate = sum(done / elapsed for done, elapsed, _ in answers)
        client_cpu = 1e6 * sum(cpu for _, _, cpu in answers) / max(calls, 1)
        return rate, calls + len(self._commands) * _WARM_UP_CALLS, client_cpu

    def close(self) -> None:
        for commands in self._commands:
            commands.put(None)
        for process in self._workers:
            process.join(timeout=30)


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


OPERATIONS = ("PutItem", "GetItem", "Query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per figure")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--durability", choices=["NORMAL", "FULL"], default="NORMAL")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        api_url, own_url, baas_pid = stack.enter_context(baas_serve(args.durability))
        peers = {
            "dynalite (in memory)": stack.enter_context(dynalite_server()),
            "dynalite (LevelDB files)": stack.enter_context(dynalite_server(on_disk=True)),
            "moto_server (in memory)": stack.enter_context(moto_server()),
        }
        for url in (api_url, *(url for url, _ in peers.values())):
            prepare(url)  # once for baas: one store behind both of its URLs
        servers = {
            "baas, own port": (own_url, baas_pid),
            "baas, API port /dynamodb": (api_url, baas_pid),
            **peers,
        }
        load = Load(args.clients)
        stack.callback(load.close)
        figures: dict[str, dict[str, dict[str, list[float]]]] = {
            kind: {label: {name: [] for name in OPERATIONS} for label in servers}
            for kind in ("rate", "server", "client")
        }
        # Round 0 warms every server up (dynalite's JIT, our caches) and is not counted.
        # Rounds interleave the servers, so load from elsewhere on the machine spreads
        # over all of them instead of skewing one; each figure is a median.
        for round_number in range(args.rounds + 1):
            for name in OPERATIONS:
                for label, (url, pid) in servers.items():
                    before = _cpu_seconds(pid)
                    rate, requests, client_cpu = load.measure(url, name, args.seconds)
                    after = _cpu_seconds(pid)
                    if round_number == 0:
                        continue
                    figures["rate"][label][name].append(rate)
                    figures["client"][label][name].append(client_cpu)
                    if before is not None and after is not None:
                        figures["server"][label][name].append(1e6 * (after - before) / requests)
            print(f"round {round_number}/{args.rounds} done", file=sys.stderr)

    print(
        f"\nbaas: SQLite file, synchronous={args.durability}."
        f"\nboto3 ops/s, median of {args.rounds} rounds after a warm-up round "
        f"({args.clients} client processes measuring together, {args.seconds:g} s per "
        f"measurement, {os.cpu_count()} CPUs)\n"
    )
    _table(figures["rate"], "{:>9,.0f}")
    server = figures["server"]
    if all(server[label][name] for label in server for name in OPERATIONS):
        print("\nserver CPU time per request, µs (user + system), median of the rounds\n")
        _table(server, "{:>9,.0f}")
    print("\nclient CPU time per request (boto3), µs, median of the rounds\n")
    _table(figures["client"], "{:>9,.0f}")


def _table(figures: dict[str, dict[str, list[float]]], form: str) -> None:
    width = max(len(label) for label in figures)
    print(f"{'server':<{width}}  " + "  ".join(f"{name:>9}" for name in OPERATIONS))
    for label, samples in figures.items():
        row = "  ".join(form.format(statistics.median(samples[name])) for name in OPERATIONS)
        print(f"{label:<{width}}  {row}")


if __name__ == "__main__":
    main()
