"""Fields of a model's object type that have logic of their own: relations, computed.

Like a :class:`~baas.graphql.root_fields.RootField`, an :class:`ObjectField` pairs the
Strawberry field (what the schema shows) with ``run(context, parent, args)``, the logic,
taking the parent object (the item as GraphQL shows it) and plain arguments with Python
names; :mod:`baas.graphql.native` installs a graphql-core resolver calling ``run``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.types import Info

from auth.models import ModelSpec
from baas.graphql.arguments import plain_or_none, with_signature
from baas.graphql.context import RequestContext
from baas.graphql.root_fields import ArgumentKind

__all__ = ["ObjectField", "declare_object_field"]

_ROOT = inspect.Parameter("root", inspect.Parameter.POSITIONAL_OR_KEYWORD)
ObjectRun = Callable[[RequestContext, dict[str, Any], dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class ObjectField:
    """One field of ``model``'s object type, resolved by ``run``."""

    model: ModelSpec
    name: str
    field: Any
    run: ObjectRun
    arguments: dict[str, ArgumentKind] = field(default_factory=dict)
    filter_model: ModelSpec | None = None
    """The model whose field names a ``filter`` argument uses (a relation's target)."""
    cost: int = 1
    """What each value adds to a query's cost (a list's is its page size instead)."""


def declare_object_field(
    model: ModelSpec,
    name: str,
    run: ObjectRun,
    params: list[Any],
    returns: Any,
    description: str,
    **options: Any,
) -> ObjectField:
    """An :class:`ObjectField` whose Strawberry resolver calls ``run`` as the native one does."""

    async def resolve(root: Any, info: Info, **args: Any) -> Any:
        plain = {key: plain_or_none(value) for key, value in args.items()}
        return await run(info.context, root, plain)

    resolver = with_signature(name, resolve, params, returns)
    signature: inspect.Signature = resolver.__signature__  # type: ignore[attr-defined]
    # Strawberry passes the parent as ``root`` when the resolver names it.
    resolver.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[_ROOT, *signature.parameters.values()]
    )
    return ObjectField(
        model,
        name,
        strawberry.field(resolver=resolver, description=description),
        run,
        **options,
    )
