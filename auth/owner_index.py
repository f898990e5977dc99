"""The index an owner-only list reads through: one the model declares, or one it implies.

A caller who may list only their own items (``allow.owner()`` without a rule that lets
them list everyone's) used to get a *scan* filtered down to their items. DynamoDB's
``Limit`` counts the items read, not the items kept, so ``listNotes(limit: 1)`` read one
item of the table — most likely someone else's — and answered an empty page with a
``nextToken``, again and again, while the caller owned notes further on.

Such a list reads the caller's partition of an index keyed by the owner field instead:
every item read is the caller's, so a page holds up to ``limit`` of them and the last
page has no token. The index is one the model declares (``by_owner = Index(partition=
"owner", ...)``, projecting every attribute), or else the one this module adds to the
model's table: ``_baas_by_owner`` (partition ``owner``, sort ``created_at``), created
and back-filled at start like any declared index. It is not a GraphQL field of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage import IndexProjection, IndexSpec, KeyAttribute, TableSpec

if TYPE_CHECKING:
    from auth.models import ModelSpec
    from auth.rules import Rule

__all__ = ["OWNER_INDEX", "implied_owner_index", "owner_list_index"]

OWNER_INDEX = "_baas_by_owner"
_CREATED_AT = "created_at"
_EVERYONE = ("authenticated", "public")  # strategies that let a caller list every item


def implied_owner_index(model: ModelSpec) -> IndexSpec | None:
    """The index to add to ``model``'s table for owner-only lists, if it needs one."""
    if len(model.owner_fields) != 1 or not _lists_are_owner_only(model.rules):
        return None
    owner = model.owner_fields[0]
    field = model.field(owner)
    if field.dynamo_type != "S" or field.list_of or model.partition_key == owner:
        return None
    if any(
        index.partition == owner and index.projection == "ALL" for index in model.indexes.values()
    ):
        return None
    return IndexSpec(
        name=OWNER_INDEX,
        partition_key=KeyAttribute(owner, "S"),
        sort_key=KeyAttribute(_CREATED_AT, "S"),
        projection=IndexProjection("ALL"),
    )


def owner_list_index(
    table: TableSpec, owner_fields: tuple[str, ...]
) -> tuple[str | None, str] | None:
    """``(index, owner field)`` to read one owner's items of ``table`` through (index None:
    the table itself is keyed by the owner), or None when nothing is keyed by it."""
    if len(owner_fields) != 1:
        return None  # owned through any of several fields: one key cannot cover them
    owner = owner_fields[0]
    if table.partition_key.name == owner:
        return None, owner
    for index in table.indexes:
        if index.partition_key.name == owner and index.projection.type == "ALL":
            return index.name, owner
    return None


def _lists_are_owner_only(rules: tuple[Rule, ...]) -> bool:
    """Whether some caller may list only their own items (no rule lets everyone list)."""
    owner_lists = any(rule.strategy == "owner" and "list" in rule.operations for rule in rules)
    everyone_lists = any(rule.strategy in _EVERYONE and "list" in rule.operations for rule in rules)
    return owner_lists and not everyone_lists
