"""DynamoDB's expression language: condition, filter, update, key-condition, projection.

Each expression text is tokenized and parsed once into a placeholder-symbolic AST
(cached per distinct text); a request then binds its ExpressionAttributeNames and
ExpressionAttributeValues to that tree (cheap, per request), and the bound object
evaluates items, applies updates or projects attributes. Values stay data in the
tree: nothing is ever spliced into any query text.

Typical use by the store::

    placeholders = Placeholders(names, values)
    condition = parse_condition(text, placeholders)
    update = parse_update(update_text, placeholders)
    placeholders.check_all_used()
    if condition.evaluate(old_item):
        new_item = update.apply(old_item)

Every error is a :class:`storage.errors.ValidationError` with DynamoDB's wording.
"""

from __future__ import annotations

from storage.expressions.builder import ExpressionBuilder
from storage.expressions.condition import Condition, parse_condition
from storage.expressions.key_condition import KeyCondition, SortKeyCondition, parse_key_condition
from storage.expressions.paths import Path
from storage.expressions.placeholders import Placeholders
from storage.expressions.projection import Projection, parse_projection, project_paths
from storage.expressions.update import Update, parse_update

__all__ = [
    "Condition",
    "ExpressionBuilder",
    "KeyCondition",
    "Path",
    "Placeholders",
    "Projection",
    "SortKeyCondition",
    "Update",
    "parse_condition",
    "parse_key_condition",
    "parse_projection",
    "parse_update",
    "project_paths",
]
