"""The errors GraphQL clients see, each with a stable ``extensions.code``.

Expected failures are GraphQL errors whose ``extensions.code`` a client can switch on;
the domain errors' codes come from the one table in :mod:`baas.http_errors`
(:func:`~baas.http_errors.graphql_code_for`). The GraphQL layer adds its own few:

    GraphQLApiError            (root)
    ├── BadRequestError        VALIDATION            malformed filter, page size, nextToken ...
    └── InvalidPageTokenError  INVALID_NEXT_TOKEN    forged, altered, expired or foreign token

Anything else is a bug: :mod:`~baas.graphql.error_shaping` masks it as
``INTERNAL_SERVER_ERROR`` with the request id and logs the detail.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["BadRequestError", "GraphQLApiError", "InvalidPageTokenError"]


class GraphQLApiError(Exception):
    """An expected failure of a GraphQL operation; ``message`` is safe to show."""

    code: ClassVar[str] = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {}


class BadRequestError(GraphQLApiError):
    """The operation's arguments cannot be used as given."""

    code = "VALIDATION"


class InvalidPageTokenError(GraphQLApiError):
    """A ``nextToken`` that this caller may not use for this query.

    One answer whatever the reason (forged, altered, expired, another caller's or
    another query's): threat, probing the token format to learn what makes one valid.
    """

    code = "INVALID_NEXT_TOKEN"

    def __init__(self) -> None:
        super().__init__("The nextToken is not valid for this query.")
