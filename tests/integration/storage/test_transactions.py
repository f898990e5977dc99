"""TransactWriteItems, TransactGetItems, BatchGetItem and BatchWriteItem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage import (
    BatchGet,
    DeleteRequest,
    DocumentStore,
    PutRequest,
    TransactConditionCheck,
    TransactDelete,
    TransactGet,
    TransactPut,
    TransactUpdate,
)
from storage.errors import (
    IdempotentParameterMismatchError,
    ResourceNotFoundError,
    TransactionCanceledError,
    ValidationError,
)


async def test_transaction_applies_every_kind_of_operation(
    store: DocumentStore, simple: str
) -> None:
    await store.put_item(simple, {"id": "update", "n": 1})
    await store.put_item(simple, {"id": "delete"})
    await store.put_item(simple, {"id": "check", "ok": True})
    await store.transact_write(
        [
            TransactPut(simple, {"id": "put"}, condition="attribute_not_exists(id)"),
            TransactUpdate(simple, {"id": "update"}, "SET n = n + :one", values={":one": 1}),
            TransactDelete(simple, {"id": "delete"}),
            TransactConditionCheck(simple, {"id": "check"}, "ok = :t", values={":t": True}),
        ]
    )
    got = await store.transact_get(
        [TransactGet(simple, {"id": name}) for name in ("put", "update", "delete", "check")]
    )
    assert got == [{"id": "put"}, {"id": "update", "n": 2}, None, {"id": "check", "ok": True}]


async def test_a_failed_condition_cancels_everything_with_reasons_in_order(
    store: DocumentStore, simple: str
) -> None:
    await store.put_item(simple, {"id": "a", "n": 1})
    await store.put_item(simple, {"id": "b", "n": 1})
    with pytest.raises(TransactionCanceledError) as info:
        await store.transact_write(
            [
                TransactUpdate(simple, {"id": "a"}, "SET n = :two", values={":two": 2}),
                TransactPut(simple, {"id": "new"}),
                TransactConditionCheck(
                    simple,
                    {"id": "b"},
                    "n = :five",
                    values={":five": 5},
                    return_values_on_condition_check_failure="ALL_OLD",
                ),
            ]
        )
    reasons = info.value.reasons
    assert [reason.code for reason in reasons] == ["None", "None", "ConditionalCheckFailed"]
    assert reasons[2].item == {"id": "b", "n": 1}
    assert "ConditionalCheckFailed" in info.value.message
    assert await store.get_item(simple, {"id": "a"}) == {"id": "a", "n": 1}
    assert await store.get_item(simple, {"id": "new"}) is None


async def test_transaction_misuse(store: DocumentStore, simple: str) -> None:
    with pytest.raises(ValidationError, match="multiple operations on one item"):
        await store.transact_write(
            [TransactPut(simple, {"id": "a"}), TransactDelete(simple, {"id": "a"})]
        )
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        await store.transact_write([TransactPut(simple, {"id": f"i{n}"}) for n in range(101)])
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        await store.transact_write([])
    with pytest.raises(ResourceNotFoundError):
        await store.transact_write([TransactPut("missing", {"id": "a"})])
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        await store.transact_get([TransactGet(simple, {"id": f"i{n}"}) for n in range(101)])


async def test_one_hundred_items_fit_in_one_transaction(store: DocumentStore, simple: str) -> None:
    await store.transact_write([TransactPut(simple, {"id": f"i{n}"}) for n in range(100)])
    assert (await store.scan(simple, select="COUNT")).count == 100


async def test_client_request_token_makes_retries_idempotent(
    store: DocumentStore, simple: str
) -> None:
    await store.put_item(simple, {"id": "a", "n": 0})
    increment = [TransactUpdate(simple, {"id": "a"}, "SET n = n + :one", values={":one": 1})]
    await store.transact_write(increment, client_request_token="token-1")
    await store.transact_write(increment, client_request_token="token-1")  # a retry: no-op
    assert await store.get_item(simple, {"id": "a"}) == {"id": "a", "n": 1}
    other = [TransactUpdate(simple, {"id": "a"}, "SET n = n + :one", values={":one": 2})]
    with pytest.raises(IdempotentParameterMismatchError):
        await store.transact_write(other, client_request_token="token-1")
    await store.transact_write(increment, client_request_token="token-2")
    assert await store.get_item(simple, {"id": "a"}) == {"id": "a", "n": 2}


async def test_batch_get_and_write(store: DocumentStore, simple: str, table: str) -> None:
    result = await store.batch_write(
        {
            simple: [PutRequest({"id": "a", "v": 1}), PutRequest({"id": "b", "v": 2})],
            table: [PutRequest({"pk": "p", "sk": 1})],
        }
    )
    assert result.unprocessed_items == {}
    await store.batch_write({simple: [DeleteRequest({"id": "b"}), PutRequest({"id": "c"})]})
    got = await store.batch_get(
        {
            simple: BatchGet([{"id": "a"}, {"id": "b"}, {"id": "c"}], projection="id"),
            table: BatchGet([{"pk": "p", "sk": 1}]),
        }
    )
    assert sorted(got.responses[simple], key=str) == [{"id": "a"}, {"id": "c"}]
    assert got.responses[table] == [{"pk": "p", "sk": Decimal(1)}]
    assert got.unprocessed_keys == {}


async def test_batch_misuse(store: DocumentStore, simple: str) -> None:
    with pytest.raises(ValidationError, match="less than or equal to 25"):
        await store.batch_write({simple: [PutRequest({"id": f"i{n}"}) for n in range(26)]})
    with pytest.raises(ValidationError, match="contains duplicates"):
        await store.batch_write({simple: [PutRequest({"id": "a"}), DeleteRequest({"id": "a"})]})
    with pytest.raises(ValidationError, match="Too many items requested"):
        await store.batch_get({simple: BatchGet([{"id": f"i{n}"} for n in range(101)])})
    with pytest.raises(ValidationError, match="contains duplicates"):
        await store.batch_get({simple: BatchGet([{"id": "a"}, {"id": "a"}])})
    with pytest.raises(ValidationError, match="Missing the key"):
        await store.batch_write({simple: [PutRequest({"other": "a"})]})


async def test_a_transaction_over_4_mb_is_refused(store: DocumentStore, simple: str) -> None:
    big = "x" * 390_000
    with pytest.raises(ValidationError, match="4 MB"):
        await store.transact_write(
            [TransactPut(simple, {"id": f"i{n}", "b": big}) for n in range(11)]
        )
    assert (await store.scan(simple, select="COUNT")).count == 0
