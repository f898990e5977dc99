"""A call's result and progress show their field names in camelCase, like all of GraphQL.

Keys of a ``dict`` are data (an id, an email address) and are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pydantic

from baas.graphql.call_values import camel_case_fields


@dataclass
class Line:
    sku_code: str
    unit_count: int


class Shipment(pydantic.BaseModel):
    tracking_id: str
    lines: list[Line]


@dataclass
class OrderResult:
    order_id: str
    lines: list[Line]
    by_email: dict[str, Line]
    shipment: Shipment | None = None
    pair: tuple[Line, int] | None = None
    extra: Any = None
    notes: list[str] = field(default_factory=list)


def test_field_names_are_camel_cased_at_any_depth_and_map_keys_are_kept() -> None:
    raw = {
        "order_id": "o1",
        "lines": [{"sku_code": "A", "unit_count": 2}],
        "by_email": {"ada_l@example.com": {"sku_code": "B", "unit_count": 1}},
        "shipment": {"tracking_id": "t1", "lines": [{"sku_code": "C", "unit_count": 3}]},
        "pair": [{"sku_code": "D", "unit_count": 4}, 5],
        "extra": {"free_form": 1},
        "notes": ["keep_me"],
    }

    assert camel_case_fields(raw, OrderResult) == {
        "orderId": "o1",
        "lines": [{"skuCode": "A", "unitCount": 2}],
        "byEmail": {"ada_l@example.com": {"skuCode": "B", "unitCount": 1}},
        "shipment": {"trackingId": "t1", "lines": [{"skuCode": "C", "unitCount": 3}]},
        "pair": [{"skuCode": "D", "unitCount": 4}, 5],
        "extra": {"free_form": 1},  # Any: nothing to go by
        "notes": ["keep_me"],
    }


def test_without_a_type_the_value_is_left_as_it_is() -> None:
    raw = {"board_id": "b1", "items": [{"item_id": 1}]}
    assert camel_case_fields(raw, None) == raw
    assert camel_case_fields("awaiting_approval", str) == "awaiting_approval"
    assert camel_case_fields({"a_b": 1}, dict[str, int]) == {"a_b": 1}
