"""The per-user cost budget is one budget for every API process sharing the store.

Two real API processes (this one's uvicorn in a thread, and a second uvicorn process)
on one SQLite file or one PostgreSQL schema, with ``BAAS_GRAPHQL_COST_PER_MINUTE=304``
(5 a second): ``listBoards(limit: 100)`` costs 101, so a fresh budget holds three, and a
fourth would need 20 s of refill, far longer than any test here takes. Per process, the
same burst would get three from each.

Writes to the budget table are counted in the store's change feed: every committed
write appends one record (TTL deletions are flagged ``system`` and not counted).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.system_tables import BUDGETS_TABLE
from storage import open_store
from tests.integration.graphql.relations_app import app as relations_app
from tests.integration.graphql.server import (
    Api,
    Transport,
    api_process,
    ask,
    ask_websocket,
    serve_api,
)

PAGE = "{ listBoards(limit: 100) { items { name } } }"  # costs 1 + 100 x 1
CHEAP = "{ viewer { userId } }"
BUDGET = {"BAAS_GRAPHQL_MAX_COST": "250", "BAAS_GRAPHQL_COST_PER_MINUTE": "304"}
BURST = 24


@contextlib.contextmanager
def two_processes(data_dir: Path, store_env: dict[str, str]) -> Iterator[list[Api]]:
    """The relations app served by this process and by another, on one store."""
    env = {**BUDGET, **store_env}
    with serve_api(data_dir, app=relations_app, **env) as here:
        factory = "tests.integration.graphql.relations_app:create"
        with api_process(data_dir, factory=factory, **env) as there:
            yield [here, Api(there, here.services, here.settings)]


async def _over_http(client: httpx.AsyncClient, api: Api, token: str) -> dict[str, Any]:
    response = await client.post(
        api.graphql, json={"query": PAGE}, headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = response.json()
    return body


async def burst(apis: list[Api], token: str, transport: Transport) -> list[dict[str, Any]]:
    """``BURST`` requests at once, every other one to each process; their bodies."""
    async with httpx.AsyncClient(timeout=30) as client:
        if transport == "http":
            asks = [_over_http(client, apis[n % 2], token) for n in range(BURST)]
        else:
            asks = [ask_body(apis[n % 2], token) for n in range(BURST)]
        return list(await asyncio.gather(*asks))


async def ask_body(api: Api, token: str) -> dict[str, Any]:
    return (await ask_websocket(api, PAGE, token=token)).body


def budget_writes(api: Api) -> int:
    """Writes to the budget table so far (from the store's change feed)."""

    async def count() -> int:
        async with open_store(api.settings.store_config) as store:
            records = await store.changes.read(0, 10_000, tables=[BUDGETS_TABLE])
        return sum(1 for record in records if not record.system)

    return asyncio.run(count())


@pytest.mark.parametrize("transport", ["http", "websocket"])
def test_a_burst_split_across_two_processes_gets_the_budget_once(
    tmp_path: Path, store_env: dict[str, str], transport: Transport
) -> None:
    with two_processes(tmp_path, store_env) as apis:
        token = apis[0].token(f"burst-{transport}")
        bodies = asyncio.run(burst(apis, token, transport))
    served = [body for body in bodies if "errors" not in body]
    refused = [body for body in bodies if "errors" in body]
    assert len(served) == 3  # 304 // 101, not three from each process
    assert {body["errors"][0]["extensions"]["code"] for body in refused} == {"RATE_LIMITED"}
    assert all(1 <= body["errors"][0]["extensions"]["retryAfter"] <= 20 for body in refused)


def test_http_on_one_process_and_websocket_on_the_other_spend_one_budget(
    tmp_path: Path, store_env: dict[str, str]
) -> None:
    with two_processes(tmp_path, store_env) as (here, there):
        token = here.token("both-ways")
        for api, transport in ((here, "http"), (there, "websocket"), (there, "http")):
            answer = ask(api, transport, PAGE, token=token)  # type: ignore[arg-type]
            assert "errors" not in answer.body, answer.body
        for api, transport in ((here, "websocket"), (here, "http"), (there, "http")):
            answer = ask(api, transport, PAGE, token=token)  # type: ignore[arg-type]
            assert answer.codes == ["RATE_LIMITED"], answer.body


def test_a_burst_needing_a_new_lease_makes_one_store_write(tmp_path: Path) -> None:
    with serve_api(tmp_path, app=relations_app, **BUDGET) as api:
        token = api.token("lessee")
        assert "errors" not in api.post(CHEAP, token=token).json()
        assert budget_writes(api) == 1  # the first lease: a chunk of 15.2 (5% of 304)

        async def cheap_burst(count: int) -> list[dict[str, Any]]:
            async with httpx.AsyncClient(timeout=30) as client:
                headers = {"Authorization": f"Bearer {token}"}
                answers = await asyncio.gather(
                    *(
                        client.post(api.graphql, json={"query": CHEAP}, headers=headers)
                        for _ in range(count)
                    )
                )
            return [answer.json() for answer in answers]

        # 14 more fit the chunk: no write at all.
        assert all("errors" not in body for body in asyncio.run(cheap_burst(14)))
        assert budget_writes(api) == 1
        # 15 at once need a new lease: they wait for one, instead of each writing one.
        assert all("errors" not in body for body in asyncio.run(cheap_burst(15)))
        assert budget_writes(api) == 2


def test_no_budget_means_no_store_traffic(tmp_path: Path) -> None:
    with serve_api(tmp_path, app=relations_app, BAAS_GRAPHQL_COST_PER_MINUTE="0") as api:
        token = api.token("unlimited")
        for _ in range(5):
            assert "errors" not in api.post(PAGE, token=token).json()
        assert budget_writes(api) == 0
