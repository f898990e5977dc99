"""Errors raised by the document store.

Every error has a stable ``code`` named exactly like DynamoDB's error type, so a user
who knows DynamoDB recognises it and the HTTP layers can map it without guessing.
Messages are safe to show to a client: they never contain SQL, file paths or values
of other users' items.

    StorageError
    ├── ValidationError                  ValidationException
    ├── ConditionalCheckFailedError      ConditionalCheckFailedException
    ├── TransactionCanceledError         TransactionCanceledException
    ├── TransactionConflictError         TransactionConflictException
    ├── IdempotentParameterMismatchError IdempotentParameterMismatchException
    ├── ResourceNotFoundError            ResourceNotFoundException
    ├── ResourceInUseError               ResourceInUseException
    ├── LimitExceededError               LimitExceededException
    └── StorageUnavailableError          InternalServerError
        └── StorageBusyError             ServiceUnavailable (retry later)
            └── StorageUnreachableError  ServiceUnavailable (the database server is down)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "CancellationReason",
    "ConditionalCheckFailedError",
    "IdempotentParameterMismatchError",
    "LimitExceededError",
    "ResourceInUseError",
    "ResourceNotFoundError",
    "StorageBusyError",
    "StorageError",
    "StorageUnavailableError",
    "StorageUnreachableError",
    "TransactionCanceledError",
    "TransactionConflictError",
    "ValidationError",
]


class StorageError(Exception):
    """Root of every error the store raises on purpose."""

    code: ClassVar[str] = "InternalServerError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(StorageError):
    """The request is malformed: bad expression, bad type, limit exceeded, ..."""

    code = "ValidationException"


class ConditionalCheckFailedError(StorageError):
    """A ConditionExpression evaluated to false.

    ``item`` holds the current item when the caller asked for it with
    ReturnValuesOnConditionCheckFailure=ALL_OLD, else None.
    """

    code = "ConditionalCheckFailedException"

    def __init__(
        self, message: str = "The conditional request failed", item: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.item = item


@dataclass(frozen=True)
class CancellationReason:
    """Why one item of a transaction was not applied (DynamoDB CancellationReasons).

    ``code`` is ``"None"`` for items that were fine, else e.g. ``"ConditionalCheckFailed"``,
    ``"ValidationError"`` or ``"TransactionConflict"``, as DynamoDB names them.
    """

    code: str = "None"
    message: str | None = None
    item: dict[str, Any] | None = None


class TransactionCanceledError(StorageError):
    """A transaction was cancelled; ``reasons`` has one entry per item, in request order."""

    code = "TransactionCanceledException"

    def __init__(self, reasons: list[CancellationReason]) -> None:
        codes = ", ".join(r.code for r in reasons)
        super().__init__(
            f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
        )
        self.reasons = reasons


class TransactionConflictError(StorageError):
    """Another transaction touched the same item at the same moment."""

    code = "TransactionConflictException"


class IdempotentParameterMismatchError(StorageError):
    """A ClientRequestToken was reused with different parameters."""

    code = "IdempotentParameterMismatchException"


class ResourceNotFoundError(StorageError):
    """The table or index does not exist."""

    code = "ResourceNotFoundException"


class ResourceInUseError(StorageError):
    """The table already exists (or is being changed)."""

    code = "ResourceInUseException"


class LimitExceededError(StorageError):
    """Too many tables or indexes."""

    code = "LimitExceededException"


class StorageUnavailableError(StorageError):
    """The backend failed in a way the caller cannot fix (disk full, file unreadable).

    The message is generic; the cause is chained for the log.
    """

    code = "InternalServerError"


class StorageBusyError(StorageUnavailableError):
    """The store stayed locked by another writer for longer than the busy timeout.

    Momentary, unlike its parent: the same request is expected to succeed a little
    later (another process holds the write lock, e.g. paused in its transaction). Nothing
    of the refused write was applied. ``retry_after`` is a hint in seconds; the code is
    the one AWS services answer with HTTP 503 ("Common Errors").
    """

    code = "ServiceUnavailable"
    retry_after: ClassVar[int] = 1


class StorageUnreachableError(StorageBusyError):
    """The database server cannot be reached now (PostgreSQL down, network cut).

    Answered like a busy store, "retry later" (503): nothing of the refused write was
    applied, and the store reconnects by itself once the server answers again.
    """
