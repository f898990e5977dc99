"""Call inputs accept GraphQL's camelCase spelling of the target's field names."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from baas.graphql.calls import _python_field_names


@dataclass
class ArchiveInput:
    board_id: str
    approval_timeout_seconds: float = 1.0


class PydanticInput(BaseModel):
    board_id: str


def test_camel_case_keys_become_field_names() -> None:
    given = {"boardId": "b1", "approvalTimeoutSeconds": 5}
    assert _python_field_names(given, ArchiveInput) == {
        "board_id": "b1",
        "approval_timeout_seconds": 5,
    }
    assert _python_field_names({"boardId": "b1"}, PydanticInput) == {"board_id": "b1"}


def test_exact_and_unknown_keys_are_kept_for_validation_to_judge() -> None:
    assert _python_field_names({"board_id": "b1", "colourHint": 1}, ArchiveInput) == {
        "board_id": "b1",
        "colourHint": 1,
    }
    assert _python_field_names(["not", "an", "object"], ArchiveInput) == ["not", "an", "object"]
