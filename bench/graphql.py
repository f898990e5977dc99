"""GraphQL throughput and latency beside a plain Starlette route, and subscription fan-out.

One API process serves the example app on a SQLite file (seeded with a board of 20
todos): GraphQL, and beside it plain Starlette JSON routes doing the same store reads
through the same access rules and middleware (request id, bearer auth). Like ``baas
serve``, the process settles its heap a second after it starts serving
(:func:`baas.lifecycle.settle_heap`: what start-up loaded leaves the garbage
collector's scans), so both sides are measured as a deployed process runs them. ``wrk`` (50
connections, 1 thread, 5 s after a 2 s warm-up) measures requests/s and p50/p99 of:

- ``getTodo`` beside ``GET /plain/todo``;
- ``todosByBoardId(limit: 20)`` beside ``GET /plain/todos``;
- a nested query, ``listBoards(limit: 20) { items { todos(limit: 20) { items } } }``
  (20 boards x 20 todos, 400 items), beside ``GET /plain/nested`` making the same two
  store reads (a scan of the boards, one batched query of their todos) through the
  same rules and answering the same JSON.

The per-request cost limit is checked on every GraphQL request; the per-minute cost
budget is off (``BAAS_GRAPHQL_COST_PER_MINUTE=0``) in the server measured beside the
plain routes: one user makes every request here, and would spend a small one within
seconds. Beside it, ``getTodo`` is measured on a second server on the same store with
the budget on, at the default 1,000,000 per minute (far more than this bench spends, so
never refused; checked): each request takes its cost from the process's lease, and a
lease (5% of the budget, a store read and a conditional write) is taken each time it
runs out; the number of leases written during the run is shown.

Each pair is measured back to back, in three rounds, and the median round is shown: on a
shared machine the load moves, and a ratio means most between neighbours in time. Beside
requests/s, the server's own CPU time per request (``time.process_time()`` read through
a route before and after each run): other processes on the machine change how many
requests a second it gets through, much less what each one costs.

Then subscriptions: 1,000 WebSocket connections each subscribe to ``onTodoCreated``; a
mutation is posted and the time until each subscriber receives the event is measured
(five rounds; the median round's p50/p99/max), beside the same with 1 subscriber.

    .venv/bin/python bench/graphql.py

``wrk`` is a Debian package: ``apt-get update && apt-get install -y wrk`` (as root).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's directory comes first on sys.path, and this file is
# called graphql.py: it would shadow the graphql-core package. Import from the root.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import httpx  # noqa: E402 - after the path is fixed
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from baas.config import Settings  # noqa: E402
from baas.ports import free_port  # noqa: E402
from baas.services import Services  # noqa: E402
from examples.board import app as board_app  # noqa: E402

USER = "maya"
BOARD = "bench-board"
DURATION = "5s"
WRK_ROUNDS = 3
CONNECTIONS = 50
SUBSCRIBERS = 1000
ROUNDS = 5
NESTED_BOARDS = 20
NESTED_TODOS = 20
ITEM_FIELDS = "boardId id title done owner createdAt updatedAt version"
BUDGET = 1_000_000  # the default BAAS_GRAPHQL_COST_PER_MINUTE
# Every bench process seals with this key (production mode wants one; never reuse it).
BENCH_SECRET_KEY = "YmVuY2gtb25seS1zZWNyZXQta2V5LW5ldmVyLWluLXByb2R1Y3Rpb24"  # noqa: S105 - bench only


def settings_for(data_dir: Path, *, budget: int = 0) -> Settings:
    # The same settings in every process: the token issuer URL must match.
    return Settings.from_env(
        {
            "BAAS_DATA_DIR": str(data_dir),
            "BAAS_ENV": "prod",
            "BAAS_TEMPORAL_ADDRESS": "127.0.0.1:1",
            # The fan-out below opens every subscriber from this one address.
            "BAAS_GRAPHQL_WS_CONNECTIONS_PER_ADDRESS": str(SUBSCRIBERS + 10),
            "BAAS_SECRET_KEY": BENCH_SECRET_KEY,
            # One user makes every request of the bench (see the module docstring).
            "BAAS_GRAPHQL_COST_PER_MINUTE": str(budget),
        }
    )


# --- the servers (run as ``bench/graphql.py serve <mode> <port> <data dir>``) -------------


def serve(mode: str, port: int, data_dir: Path) -> None:
    """One API process: the full app (GraphQL) plus the plain routes."""
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from baas.app import create_app
    from baas.authn import caller_of
    from baas.graphql.values import item_to_graphql
    from baas.lifecycle import settle_heap
    from storage import PartitionQuery

    settings = settings_for(data_dir, budget=BUDGET if mode == "budget" else 0)
    services = Services(settings, app=board_app)
    todo = board_app.models["Todo"]
    board = board_app.models["Board"]
    api = create_app(settings, services=services)

    async def plain_todo(request: Request) -> JSONResponse:
        store = services.acting_as(caller_of(request.scope))
        key = {"board_id": request.query_params["board"], "id": request.query_params["id"]}
        item = await store.get_item(todo.table, key)
        return JSONResponse({"todo": None if item is None else item_to_graphql(todo, item)})

    async def plain_todos(request: Request) -> JSONResponse:
        store = services.acting_as(caller_of(request.scope))
        page = await store.query(
            todo.table, "#b = :b", names={"#b": "board_id"}, values={":b": BOARD}, limit=20
        )
        return JSONResponse({"todos": [item_to_graphql(todo, item) for item in page.items]})

    async def plain_nested(request: Request) -> JSONResponse:
        # What a hand-written endpoint for "20 boards with their todos" reads: one page
        # of boards, then every board's todos in one batched query.
        store = services.acting_as(caller_of(request.scope))
        boards = await store.scan(board.table, limit=20)
        pages = await store.query_partitions(
            todo.table, [PartitionQuery(item["id"]) for item in boards.items], limit=20
        )
        return JSONResponse(
            {
                "boards": [
                    {
                        "id": item["id"],
                        "name": item["name"],
                        "todos": [item_to_graphql(todo, child) for child in page.items],
                    }
                    for item, page in zip(boards.items, pages, strict=True)
                ]
            }
        )

    async def cpu(_request: Request) -> JSONResponse:
        return JSONResponse({"seconds": time.process_time()})

    # Right after /graphql (which create_app puts first), so route matching costs both
    # the same.
    api.router.routes.insert(2, Route("/plain/todo", plain_todo, methods=["GET"]))
    api.router.routes.insert(3, Route("/plain/todos", plain_todos, methods=["GET"]))
    api.router.routes.insert(4, Route("/plain/nested", plain_nested, methods=["GET"]))
    api.router.routes.append(Route("/bench/cpu", cpu, methods=["GET"]))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":

            async def receive_and_start() -> Any:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await services.start()
                    asyncio.get_running_loop().call_later(1.0, settle_heap)  # as baas serve
                elif message["type"] == "lifespan.shutdown":
                    await services.stop()
                return message

            await api(scope, receive_and_start, send)
            return
        await api(scope, receive, send)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- measuring --------------------------------------------------------------------------


async def seed(data_dir: Path) -> tuple[str, str]:
    """A board with 20 todos, and 20 boards of 20 todos each (the nested query's);
    returns (access token, one todo id)."""
    services = Services(settings_for(data_dir), app=board_app)
    await services.start()
    try:
        from auth.rules import Caller

        store = services.acting_as(Caller.user(USER, ["team"]))
        ids = []
        for n in range(20):
            item = {
                "board_id": BOARD,
                "id": f"todo-{n:02d}",
                "title": f"todo {n}",
                "done": n % 3 == 0,
                "created_at": "2026-01-01T00:00:00.000Z",
                "updated_at": "2026-01-01T00:00:00.000Z",
                "version": 1,
            }
            await store.create_item("todos", item)
            ids.append(item["id"])
        for b in range(NESTED_BOARDS):
            board_id = f"nested-{b:02d}"
            stamp = {"created_at": "2026-01-01T00:00:00.000Z", "version": 1}
            stamp["updated_at"] = stamp["created_at"]
            await store.create_item("boards", {"id": board_id, "name": f"board {b}", **stamp})
            for n in range(NESTED_TODOS):
                child = {"board_id": board_id, "id": f"t-{n:02d}", "title": f"todo {n}"}
                await store.create_item("todos", {**child, "done": False, **stamp})
        token = services.tokens.issue_access_token(USER, ["team"], lifetime=3600).token
        return token, ids[7]
    finally:
        await services.stop()


@contextlib.contextmanager
def server(mode: str, data_dir: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "serve", mode, str(port), str(data_dir)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 600:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the {mode} server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def wrk(
    base: str, url: str, token: str, body: dict[str, Any] | None, workdir: Path
) -> dict[str, float]:
    """requests/s, p50 and p99 (ms), and the server's CPU µs per request, of ``url`` (a
    POST of ``body`` when given) on the server at ``base``."""
    script = workdir / "request.lua"
    lines = [f'wrk.headers["Authorization"] = "Bearer {token}"']
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = {json.dumps(json.dumps(body))}",
        ]
    script.write_text("\n".join(lines) + "\n")
    common = ["wrk", "-t1", f"-c{CONNECTIONS}", "--latency", "-s", str(script), url]
    subprocess.run([*common[:3], "-d2s", *common[3:]], check=True, capture_output=True)  # warm-up
    cpu_before = httpx.get(f"{base}/bench/cpu").json()["seconds"]
    out = subprocess.run(
        [*common[:3], f"-d{DURATION}", *common[3:]], check=True, capture_output=True, text=True
    ).stdout
    cpu = httpx.get(f"{base}/bench/cpu").json()["seconds"] - cpu_before
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers from {url}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _latency(out, "50%"),
        "p99": _latency(out, "99%"),
        "cpu_us": cpu / requests * 1e6,
    }


def _median(measured: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median requests/s."""
    return sorted(measured, key=lambda r: r["rps"])[len(measured) // 2]


def _median_ratio(
    graph: list[dict[str, float]], plain: list[dict[str, float]], figure: str
) -> float:
    """The median, over rounds, of GraphQL's ``figure`` over the plain route's."""
    ratios = sorted(g[figure] / p[figure] for g, p in zip(graph, plain, strict=True))
    return ratios[len(ratios) // 2]


def _latency(out: str, percentile: str) -> float:
    match = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", out)
    if match is None:
        raise SystemExit(f"no {percentile} latency in wrk's output")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


async def subscribers(base: str, token: str, count: int) -> dict[str, float]:
    """Median round of mutation-to-delivery latency (ms) across ``count`` subscribers."""
    ws_url = base.replace("http://", "ws://") + "/graphql"
    sockets: list[ClientConnection] = []
    subscribe = {"query": "subscription { onTodoCreated { id title } }"}
    for n in range(count):
        ws = await connect(ws_url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        await ws.recv()  # connection_ack
        await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": subscribe}))
        sockets.append(ws)
    await asyncio.sleep(1.0)  # every subscription registered
    rounds = []
    async with httpx.AsyncClient(timeout=30) as client:
        for round_ in range(ROUNDS):
            waiting = [asyncio.ensure_future(ws.recv()) for ws in sockets]
            received: list[float] = []
            for future in waiting:
                future.add_done_callback(lambda _f, into=received: into.append(time.perf_counter()))
            mutation = (
                'mutation($t: String!) { createTodo(input: {boardId: "fanout", title: $t}) { id } }'
            )
            started = time.perf_counter()
            response = await client.post(
                f"{base}/graphql",
                json={"query": mutation, "variables": {"t": f"round {round_}"}},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
            await asyncio.wait_for(asyncio.gather(*waiting), 60)
            latencies = sorted((at - started) * 1000 for at in received)
            rounds.append(
                {
                    "p50": latencies[len(latencies) // 2],
                    "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
                    "max": latencies[-1],
                }
            )
    for ws in sockets:
        await ws.close()
    rounds.sort(key=lambda r: r["p50"])
    return rounds[len(rounds) // 2]


async def lease_writes(data_dir: Path) -> int:
    """Writes to the cost-budget table so far (each is a lease), from the change feed."""
    from auth.system_tables import BUDGETS_TABLE
    from storage import open_store

    async with open_store(settings_for(data_dir).store_config) as store:
        count, after = 0, 0
        while records := await store.changes.read(after, 1000, tables=[BUDGETS_TABLE]):
            count += sum(1 for record in records if not record.system)
            after = records[-1].seq
        return count


def check_not_refused(base: str, token: str, body: dict[str, Any]) -> None:
    """The budget never refused: after every run, one more request is served (a 200
    with ``RATE_LIMITED`` would pass wrk unseen)."""
    headers = {"Authorization": f"Bearer {token}"}
    answer = httpx.post(f"{base}/graphql", json=body, headers=headers, timeout=30).json()
    if "errors" in answer:
        raise SystemExit(f"the budgeted server refused: {answer['errors']}")


def check_nested(base: str, token: str, body: dict[str, Any]) -> None:
    """The nested query answers what the plain route does (no error hidden in a 200)."""
    headers = {"Authorization": f"Bearer {token}"}
    graph = httpx.post(f"{base}/graphql", json=body, headers=headers, timeout=30).json()
    plain = httpx.get(f"{base}/plain/nested", headers=headers, timeout=30).json()
    if "errors" in graph:
        raise SystemExit(f"the nested query failed: {graph['errors']}")
    boards = graph["data"]["listBoards"]["items"]

    def shape(board: dict[str, Any], todos: list[dict[str, Any]]) -> Any:
        return board["id"], board["name"], [(t["id"], t["title"], t["version"]) for t in todos]

    graph_shape = [shape(board, board["todos"]["items"]) for board in boards]
    plain_shape = [shape(board, board["todos"]) for board in plain["boards"]]
    if len(boards) != NESTED_BOARDS or graph_shape != plain_shape:
        raise SystemExit("the nested query and the plain route answer differently")


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get update && apt-get install -y wrk (as root)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    with tempfile.TemporaryDirectory(prefix="bench-graphql-") as tmp:
        data_dir = Path(tmp)
        token, todo_id = asyncio.run(seed(data_dir))
        get_body = {
            "query": "query($b: String!, $id: String!) { getTodo(boardId: $b, id: $id) { boardId id title done owner createdAt updatedAt version } }",
            "variables": {"b": BOARD, "id": todo_id},
        }
        list_body = {
            "query": "query($b: String!) { todosByBoardId(boardId: $b, limit: 20) { items { boardId id title done owner createdAt updatedAt version } nextToken } }",
            "variables": {"b": BOARD},
        }
        nested_body = {
            "query": "query($n: Int!) { listBoards(limit: $n) { items { id name"
            f" todos(limit: $n) {{ items {{ {ITEM_FIELDS} }} }} }} }} }}",
            "variables": {"n": NESTED_TODOS},
        }
        rounds: dict[str, list[dict[str, float]]] = {}
        with server("api", data_dir) as base, server("budget", data_dir) as budgeted:
            check_nested(base, token, nested_body)
            pairs = [
                ("plain get", base, f"/plain/todo?board={BOARD}&id={todo_id}", None),
                ("GraphQL getTodo", base, "/graphql", get_body),
                ("getTodo, budget on", budgeted, "/graphql", get_body),
                ("plain list 20", base, "/plain/todos", None),
                ("GraphQL list 20", base, "/graphql", list_body),
                ("plain nested", base, "/plain/nested", None),
                ("GraphQL nested", base, "/graphql", nested_body),
            ]
            leases_before = asyncio.run(lease_writes(data_dir))
            for _ in range(WRK_ROUNDS):
                for name, at, path, body in pairs:
                    rounds.setdefault(name, []).append(wrk(at, at + path, token, body, data_dir))
            leases = asyncio.run(lease_writes(data_dir)) - leases_before
            check_not_refused(budgeted, token, get_body)
            one = asyncio.run(subscribers(base, token, 1))
            many = asyncio.run(subscribers(base, token, SUBSCRIBERS))
        results = {name: _median(measured) for name, measured in rounds.items()}
        kinds = (
            ("get", "GraphQL getTodo"),
            ("list 20", "GraphQL list 20"),
            ("nested", "GraphQL nested"),
        )
        ratios = {
            kind: _median_ratio(rounds[graph], rounds[f"plain {kind}"], "rps")
            for kind, graph in kinds
        }
        cpu_ratios = {
            # Cost, inverted: the plain route's CPU per request over GraphQL's.
            kind: 1 / _median_ratio(rounds[graph], rounds[f"plain {kind}"], "cpu_us")
            for kind, graph in kinds
        }

    print(
        f"\nwrk, {CONNECTIONS} connections, 1 thread, {DURATION} each, one uvicorn process;"
        f" median of {WRK_ROUNDS} rounds"
    )
    print(f"{'endpoint':<18}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'CPU us/req':>12}")
    for name in results:
        r = results[name]
        print(f"{name:<18}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['cpu_us']:>12.0f}")
    for kind, ratio in ratios.items():
        goal = "40%" if kind == "nested" else "50%"
        print(
            f"GraphQL {kind}: {ratio:.0%} of the plain route's throughput, "
            f"{cpu_ratios[kind]:.0%} by CPU per request (goal: >= {goal})"
        )
    print(
        f"(nested: {NESTED_BOARDS} boards x {NESTED_TODOS} todos per request, 2 store reads"
        " each way)"
    )
    off, on = rounds["GraphQL getTodo"], rounds["getTodo, budget on"]
    print(
        f"getTodo with the cost budget on ({BUDGET:,} per minute, shared through the"
        f" store): {_median_ratio(on, off, 'rps'):.0%} of the throughput with it off,"
        f" {1 / _median_ratio(on, off, 'cpu_us'):.0%} by CPU per request;"
        f" {leases} lease writes in all its runs (chunks of {BUDGET // 20:,})"
    )
    print(f"\nmutation -> delivery (ms), median of {ROUNDS} rounds")
    print(f"{'subscribers':<14}{'p50':>10}{'p99':>10}{'max':>10}")
    for count, r in ((1, one), (SUBSCRIBERS, many)):
        print(f"{count:<14}{r['p50']:>10.1f}{r['p99']:>10.1f}{r['max']:>10.1f}")
    print(f"(median of per-round figures; {os.cpu_count()} CPUs, client and server share them)")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
    else:
        main()
