"""An owner-only list pages through the caller's own items: never an empty page with a
next token while the caller owns more.

A caller who may list only their own items got a scan filtered down to them, and a
scan's limit counts the items read, not those kept: ``listMemos(limit: 1)`` answered
empty pages with a ``nextToken`` for every other user's memo on the way. Such lists now
read the caller's partition of an owner index (the model's own, or one baas adds).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auth.model_access import Models
from auth.owner_index import OWNER_INDEX
from auth.rules import Caller
from baas import App, PartitionKey, allow, generated_id
from tests.integration.graphql.server import Api, serve_api

memos = App("owner_lists")


@memos.model(rules=[allow.owner(), allow.groups("admin", operations=["read"])])
class Memo:
    """Private to its owner (admins read all): no index declared."""

    id: PartitionKey[str] = generated_id()
    title: str


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(tmp_path_factory.mktemp("owner_lists"), app=memos) as server:
        yield server


CREATE = "mutation($t: String!) { createMemo(input: {title: $t}) { id } }"
LIST = "query($n: String) { listMemos(limit: 1, nextToken: $n) { items { title } nextToken } }"


def _pages(api: Api, token: str) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    next_token = None
    while True:
        body = api.post(LIST, {"n": next_token}, token=token).json()
        assert "errors" not in body, body
        pages.append(body["data"]["listMemos"])
        next_token = pages[-1]["nextToken"]
        if next_token is None:
            return pages


def test_each_page_of_an_owner_only_list_holds_the_callers_items(api: Api) -> None:
    ada, bob = api.token("ada"), api.token("bob")
    for number in range(12):  # others' items all around ada's
        assert "errors" not in api.post(CREATE, {"t": f"bob {number}"}, token=bob).json()
        if number % 4 == 0:
            assert "errors" not in api.post(CREATE, {"t": f"ada {number}"}, token=ada).json()

    pages = _pages(api, ada)

    # No empty page with a token: each page until the end holds one of ada's memos, oldest
    # first (as DynamoDB, a page that ends on the limit has a token; the next is empty).
    assert [page["items"] for page in pages[:3]] == [
        [{"title": "ada 0"}],
        [{"title": "ada 4"}],
        [{"title": "ada 8"}],
    ]
    assert all(not page["items"] and page["nextToken"] is None for page in pages[3:])
    assert len(pages) <= 4
    # An admin may list every memo: a plain scan, all 15 of them.
    admin_titles = {
        item["title"] for page in _pages(api, api.token("root", "admin")) for item in page["items"]
    }
    assert len(admin_titles) == 15


async def test_functions_models_list_pages_the_same_way(api: Api) -> None:
    models = Models(api.services.acting_as(Caller.user("ada")))
    titles: list[str] = []
    after = None
    while True:
        page = await models.Memo.list(limit=1, after=after)
        assert page.items or page.next_key is None, "an empty page with a next key"
        titles += [memo.title for memo in page.items]
        after = page.next_key
        if after is None:
            break
    assert titles == ["ada 0", "ada 4", "ada 8"]


def test_the_index_is_added_only_where_lists_are_owner_only() -> None:
    [memo] = memos.models.values()
    assert [index.name for index in memo.table_spec().indexes] == [OWNER_INDEX]
    open_app = App("open_lists")

    @open_app.model(rules=[allow.owner(), allow.authenticated(read=True)])
    class Board:
        id: PartitionKey[str] = generated_id()
        name: str

    [board] = open_app.models.values()
    assert board.table_spec().indexes == ()
