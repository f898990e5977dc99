"""A model instance is a function's output like any dataclass: a call result carries it
whole, declared defaults included."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from auth.model_access import ModelAccess
from auth.rules import allow
from baas.application import App
from baas.models import PartitionKey, generated_id
from workflows import baas_data_converter

app = App("payloads")


@app.model(rules=[allow.owner()])
class Card:
    id: PartitionKey[str] = generated_id()
    title: str
    done: bool = False


def test_a_raw_item_travels_as_the_model_with_its_defaults() -> None:
    access: ModelAccess[Card] = ModelAccess(store=None, model=app.models["Card"])  # type: ignore[arg-type]
    raw = {
        "id": "c1",
        "title": "t",
        "version": Decimal(2),
        "updated_at": "2026-01-31T09:30:00.000Z",
    }
    card = access.instance(raw)
    converter = baas_data_converter().payload_converter
    (back,) = converter.from_payloads(converter.to_payloads([card]), [Card])
    values: dict[str, Any] = vars(back)
    assert back == card
    assert (values["done"], values["version"]) == (False, 2)
    assert isinstance(values["updated_at"], datetime)
