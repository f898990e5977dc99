"""Errors of the DynamoDB wire protocol, shaped as the AWS SDKs parse them.

DynamoDB answers an error with an HTTP status and a JSON body::

    {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
     "message": "The conditional request failed"}

The SDKs take the part of ``__type`` after ``#`` as the error code and raise their
matching exception class (botocore: ``client.exceptions.<Code>``). Client errors are
HTTP 400; ``InternalServerError`` is 500 (DynamoDB API Reference, "Common Errors").
A store busy past its lock timeout is ``ServiceUnavailable``, 503 with ``Retry-After``:
every AWS SDK retries a 503 with backoff (botocore's legacy and standard modes alike).

    DynamoDBApiError                       (any code, status and namespace)
    └── built by helpers below from store errors and protocol failures
"""

from __future__ import annotations

from typing import Any

from storage.errors import (
    CancellationReason,
    StorageBusyError,
    StorageError,
    TransactionCanceledError,
)
from storage.values import to_wire

__all__ = [
    "CORAL_SERVICE",
    "CORAL_VALIDATE",
    "DYNAMODB",
    "RETRY_AFTER",
    "DynamoDBApiError",
    "from_storage_error",
    "internal_error",
    "validation_error",
]

DYNAMODB = "com.amazonaws.dynamodb.v20120810"
# Errors raised by AWS's front end before the service sees the request (authentication,
# unknown operation, malformed JSON) carry the "coral" namespaces.
CORAL_SERVICE = "com.amazon.coral.service"
CORAL_VALIDATE = "com.amazon.coral.validate"
# The Retry-After header of every 503 the endpoint answers (the only one: the store busy).
RETRY_AFTER = str(StorageBusyError.retry_after).encode()


class DynamoDBApiError(Exception):
    """An error answered to the client: ``code`` and ``message`` are safe to show."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        namespace: str = DYNAMODB,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.namespace = namespace
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"__type": f"{self.namespace}#{self.code}", "message": self.message, **self.extra}


def validation_error(message: str) -> DynamoDBApiError:
    """A ``ValidationException`` (a malformed request), HTTP 400."""
    return DynamoDBApiError("ValidationException", message, namespace=CORAL_VALIDATE)


def internal_error(request_id: str) -> DynamoDBApiError:
    """The answer to a bug or an outage: no detail, only the id to quote to the operator."""
    return DynamoDBApiError(
        "InternalServerError",
        f"Internal server error; quote request id {request_id} to the operator.",
        status=500,
    )


def from_storage_error(exc: StorageError, request_id: str) -> DynamoDBApiError:
    """The wire error for a store error; the store names its codes as DynamoDB does."""
    if isinstance(exc, StorageBusyError):
        return DynamoDBApiError(exc.code, exc.message, status=503)
    if exc.code == "InternalServerError":
        return internal_error(request_id)
    extra: dict[str, Any] = {}
    item = getattr(exc, "item", None)
    if item is not None:
        # ReturnValuesOnConditionCheckFailure=ALL_OLD (API Reference, PutItem "Errors").
        extra["Item"] = to_wire(item)
    if isinstance(exc, TransactionCanceledError):
        extra["CancellationReasons"] = [_reason(reason) for reason in exc.reasons]
    namespace = CORAL_VALIDATE if exc.code == "ValidationException" else DYNAMODB
    return DynamoDBApiError(exc.code, exc.message, namespace=namespace, extra=extra)


def _reason(reason: CancellationReason) -> dict[str, Any]:
    # TransactWriteItems "CancellationReasons": Code always, Message and Item when known.
    wire: dict[str, Any] = {"Code": reason.code}
    if reason.message:
        wire["Message"] = reason.message
    if reason.item is not None:
        wire["Item"] = to_wire(reason.item)
    return wire
