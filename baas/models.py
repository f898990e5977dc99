"""Model declarations, as application modules import them (``from baas.models import ...``).

The model itself lives in :mod:`auth.models`, below functions and GraphQL, so that the
access layer applies it on every path (see there); this module re-exports the names an
application declares its models with.
"""

from __future__ import annotations

from auth.errors import ModelDeclarationError
from auth.models import (
    NO_DEFAULT,
    VERSION_FIELD,
    BelongsTo,
    FieldContext,
    FieldSpec,
    GeneratedId,
    HasMany,
    HasOne,
    Index,
    ModelSpec,
    PartitionKey,
    SortKey,
    computed,
    declare_model,
    generated_id,
    relation,
    restricted,
)

__all__ = [
    "NO_DEFAULT",
    "VERSION_FIELD",
    "BelongsTo",
    "FieldContext",
    "FieldSpec",
    "GeneratedId",
    "HasMany",
    "HasOne",
    "Index",
    "ModelDeclarationError",
    "ModelSpec",
    "PartitionKey",
    "SortKey",
    "computed",
    "declare_model",
    "generated_id",
    "relation",
    "restricted",
]
