"""Persisted queries beside the document sent in full, measured in the same run.

The server and measurements of ``bench/graphql.py`` (one uvicorn process serving the
example app on a SQLite file, ``wrk`` with 50 connections, the median of three rounds,
the server's CPU time per request): ``getTodo`` sent three ways, back to back:

- ``full POST``: the document in the body (the baseline: what every client did before);
- ``hash POST``: Apollo's automatic persisted query, the hash alone in ``extensions``;
- ``hash GET``: the same by GET, as ``useGETForHashedQueries`` sends it (cacheable by a
  CDN, and no body).

The document is registered once before the runs. A hash-only request is resolved from
the process's own cache (no store read) and then parsed and validated from the
pipeline's caches, as the full document is: the figures should stay within noise of
the baseline, while the request shrinks to the size of a hash.

    .venv/bin/python bench/persisted_queries.py
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_graphql", ROOT / "bench" / "graphql.py")
if _spec is None or _spec.loader is None:
    raise SystemExit("bench/graphql.py is missing")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

QUERY = (
    "query($b: String!, $id: String!) { getTodo(boardId: $b, id: $id) "
    "{ boardId id title done owner createdAt updatedAt version } }"
)


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get update && apt-get install -y wrk (as root)")
    with tempfile.TemporaryDirectory(prefix="bench-apq-") as tmp:
        data_dir = Path(tmp)
        token, todo_id = asyncio.run(bench.seed(data_dir))
        variables = {"b": bench.BOARD, "id": todo_id}
        persisted = {
            "persistedQuery": {
                "version": 1,
                "sha256Hash": hashlib.sha256(QUERY.encode()).hexdigest(),
            }
        }
        full: dict[str, Any] = {"query": QUERY, "variables": variables}
        hashed: dict[str, Any] = {"variables": variables, "extensions": persisted}
        rounds: dict[str, list[dict[str, float]]] = {}
        with bench.server("api", data_dir) as base:
            url = f"{base}/graphql"
            headers = {"Authorization": f"Bearer {token}"}
            registered = httpx.post(url, json={**full, "extensions": persisted}, headers=headers)
            if "errors" in registered.json():
                raise SystemExit(f"registering failed: {registered.text}")
            get_url = f"{url}?" + urlencode(
                {"variables": json.dumps(variables), "extensions": json.dumps(persisted)}
            )
            if "errors" in httpx.get(get_url, headers=headers).json():
                raise SystemExit("the hash-only GET failed")
            runs = [
                ("full POST", url, full),
                ("hash POST", url, hashed),
                ("hash GET", get_url, None),
            ]
            for _ in range(bench.WRK_ROUNDS):
                for name, target, body in runs:
                    measured = bench.wrk(base, target, token, body, data_dir)
                    rounds.setdefault(name, []).append(measured)
        results = {name: bench._median(measured) for name, measured in rounds.items()}
        sizes = {
            "full POST": len(json.dumps(full)),
            "hash POST": len(json.dumps(hashed)),
            "hash GET": len(get_url) - len(url),
        }

    print(
        f"\ngetTodo, wrk, {bench.CONNECTIONS} connections, 1 thread, {bench.DURATION} each, "
        f"one uvicorn process; median of {bench.WRK_ROUNDS} rounds"
    )
    print(f"{'request':<12}{'bytes':>8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'CPU us/req':>12}")
    for name in ("full POST", "hash POST", "hash GET"):
        r = results[name]
        print(
            f"{name:<12}{sizes[name]:>8}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}"
            f"{r['cpu_us']:>12.0f}"
        )
    for name in ("hash POST", "hash GET"):
        ratio = bench._median_ratio(rounds[name], rounds["full POST"], "rps")
        print(f"{name}: {ratio:.0%} of the full document's throughput (baseline: full POST)")


if __name__ == "__main__":
    sys.exit(main())
