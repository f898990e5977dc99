"""DynamoDB's expression limits and the one way this package builds its errors.

Limits from the DynamoDB Developer Guide, "Service, account, and table quotas",
section "Expression parameters": an expression string is at most 4 KB, holds at
most 300 operators and functions, an IN list at most 100 operands, and a document
path at most 32 levels of nesting.
"""

from __future__ import annotations

from storage.errors import ValidationError

__all__ = [
    "MAX_EXPRESSION_BYTES",
    "MAX_IN_OPERANDS",
    "MAX_OPERATORS",
    "MAX_PARENTHESES_DEPTH",
    "MAX_PATH_DEPTH",
    "invalid",
]

MAX_EXPRESSION_BYTES = 4096
MAX_OPERATORS = 300
MAX_IN_OPERANDS = 100
MAX_PATH_DEPTH = 32
# Not a DynamoDB limit: it keeps the recursive-descent parser far below Python's
# recursion limit, so hostile input gets a ValidationError, never a RecursionError.
MAX_PARENTHESES_DEPTH = 64


def invalid(label: str, detail: str) -> ValidationError:
    """The ValidationError DynamoDB raises for a bad expression parameter.

    ``label`` names the request parameter (``"ConditionExpression"``, ...), as in
    DynamoDB's ``Invalid ConditionExpression: Syntax error; ...``.
    """
    return ValidationError(f"Invalid {label}: {detail}")
