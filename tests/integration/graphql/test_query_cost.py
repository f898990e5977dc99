"""The cost limits through a real server: per request, and per caller per minute.

The server runs with small limits (``BAAS_GRAPHQL_MAX_COST=250``,
``BAAS_GRAPHQL_COST_PER_MINUTE=304``) so that the budget refills slowly (5 per second):
``listBoards(limit: 100) { items { name } }`` costs 101, three of them fit a fresh
budget, and a fourth would need 20 s of refill, far longer than any test here takes.
Each test spends the budget of its own user, so the tests do not depend on each other;
anonymous callers share the budget of their address (127.0.0.1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.graphql.relations_app import app as relations_app
from tests.integration.graphql.server import TRANSPORTS, Api, Transport, ask, serve_api

PAGE = "{ listBoards(limit: 100) { items { name } } }"  # costs 1 + 100 x 1
NESTED = """
query($boards: Int, $todos: Int) {
  listBoards(limit: $boards) { items { name todos(limit: $todos) { items { title } } } }
}
"""  # costs 1 + boards x (2 + todos)
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(
        Path(tmp_path_factory.mktemp("cost")),
        app=relations_app,
        BAAS_GRAPHQL_MAX_COST="250",
        BAAS_GRAPHQL_COST_PER_MINUTE="304",
    ) as server:
        yield server


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_query_above_the_per_request_limit_is_refused_before_it_runs(
    api: Api, transport: Transport
) -> None:
    token = api.token(f"costly-{transport}")
    # 10 boards x 20 todos: 1 + 10 x 22 = 221, within 250 (and spends from the budget).
    fits = ask(api, transport, NESTED, {"boards": 10, "todos": 20}, token=token)
    assert "errors" not in fits.body, fits.body
    # 10 boards x 30 todos: 1 + 10 x 32 = 321.
    answer = ask(api, transport, NESTED, {"boards": 10, "todos": 30}, token=token)
    assert answer.kind in ("http", "error")  # a request error: nothing ran, no data
    assert "data" not in answer.body
    assert answer.codes == ["QUERY_TOO_COSTLY"]
    (error,) = answer.body["errors"]
    assert error["extensions"]["cost"] == 321
    assert error["extensions"]["maxCost"] == 250
    assert "limit" in error["message"]


def test_the_default_page_size_counts_when_no_limit_is_given(api: Api) -> None:
    # 1 + 100 x (2 + 100): nested pages without a limit multiply the default page size.
    answer = ask(api, "http", "{ listBoards { items { todos { items { id } } } } }")
    assert answer.codes == ["QUERY_TOO_COSTLY"]
    assert answer.body["errors"][0]["extensions"]["cost"] == 10_201


def test_a_refusal_is_a_400_when_the_client_accepts_graphql_responses(api: Api) -> None:
    response = httpx.post(
        api.graphql,
        json={"query": NESTED, "variables": {"boards": 50, "todos": 50}},
        headers={"Accept": GRAPHQL_RESPONSE},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["QUERY_TOO_COSTLY"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_spent_budget_is_refused_with_the_seconds_to_wait(api: Api, transport: Transport) -> None:
    token = api.token(f"spender-{transport}")
    for _ in range(3):
        answer = ask(api, transport, PAGE, token=token)
        assert "errors" not in answer.body, answer.body
    answer = ask(api, transport, PAGE, token=token)
    assert answer.codes == ["RATE_LIMITED"]
    assert "data" not in answer.body
    extensions = answer.body["errors"][0]["extensions"]
    # 101 - (304 - 303) = 100 missing, at 304 per minute: 20 s (less what refilled since).
    assert 1 <= extensions["retryAfter"] <= 20
    # Cheap operations still fit what is left meanwhile.
    assert "errors" not in ask(api, transport, "{ viewer { userId } }", token=token).body
    # Another user's budget is their own.
    other = ask(api, transport, PAGE, token=api.token(f"other-{transport}"))
    assert "errors" not in other.body, other.body


def test_http_answers_429_with_retry_after_when_the_client_accepts_graphql_responses(
    api: Api,
) -> None:
    token = api.token("http-429")
    for _ in range(3):
        assert "errors" not in api.post(PAGE, token=token).json()
    plain = api.post(PAGE, token=token)
    assert plain.status_code == 200  # application/json: 200 for any well-formed request
    assert [e["extensions"]["code"] for e in plain.json()["errors"]] == ["RATE_LIMITED"]
    assert 1 <= int(plain.headers["retry-after"]) <= 20
    graphql_response = api.post(PAGE, token=token, headers={"Accept": GRAPHQL_RESPONSE})
    assert graphql_response.status_code == 429
    body = graphql_response.json()
    assert "data" not in body
    retry_after = body["errors"][0]["extensions"]["retryAfter"]
    assert graphql_response.headers["retry-after"] == str(retry_after)


def test_http_and_websocket_spend_one_budget(api: Api) -> None:
    token = api.token("both-ways")
    for transport in ("http", "websocket", "http"):
        answer = ask(api, transport, PAGE, token=token)  # type: ignore[arg-type]
        assert "errors" not in answer.body, answer.body
    answer = ask(api, "websocket", PAGE, token=token)
    assert answer.kind == "error"
    assert answer.codes == ["RATE_LIMITED"]


def test_a_concurrent_burst_gets_exactly_what_the_budget_holds(api: Api) -> None:
    token = api.token("burst")

    async def burst() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=30) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        api.graphql,
                        json={"query": PAGE},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for _ in range(24)
                )
            )
        return [response.json() for response in responses]

    bodies = asyncio.run(burst())
    served = [body for body in bodies if "errors" not in body]
    refused = [body for body in bodies if "errors" in body]
    assert len(served) == 3
    assert {body["errors"][0]["extensions"]["code"] for body in refused} == {"RATE_LIMITED"}


def test_anonymous_callers_spend_the_budget_of_their_address(api: Api) -> None:
    # Charged before it runs, even though anonymous callers may not read boards.
    answers = [ask(api, "http", PAGE) for _ in range(4)]
    assert [answer.codes for answer in answers[:3]] == [["FORBIDDEN"]] * 3
    assert answers[3].codes == ["RATE_LIMITED"]
    websocket = ask(api, "websocket", PAGE)
    assert websocket.codes == ["RATE_LIMITED"]
    # A signed-in user on the same address has a budget of their own.
    assert "errors" not in ask(api, "http", PAGE, token=api.token("same-address")).body


def test_a_subscription_pays_when_it_starts(api: Api) -> None:
    answer = ask(
        api,
        "websocket",
        "subscription { onBoardCreated { name todos(limit: 600) { items { id } } } }",
        token=api.token("subscriber"),
    )
    assert answer.kind == "error"
    assert answer.codes == ["QUERY_TOO_COSTLY"]
