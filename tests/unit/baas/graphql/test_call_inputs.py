"""Call inputs accept GraphQL's camelCase spelling of the target's field names."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from baas.graphql.call_values import python_field_names


@dataclass
class ArchiveInput:
    board_id: str
    approval_timeout_seconds: float = 1.0


class PydanticInput(BaseModel):
    board_id: str


@dataclass
class Move:
    to_board: ArchiveInput
    tags_by_user: dict[str, list[ArchiveInput]]


def test_camel_case_keys_become_field_names() -> None:
    given = {"boardId": "b1", "approvalTimeoutSeconds": 5}
    assert python_field_names(given, ArchiveInput) == {
        "board_id": "b1",
        "approval_timeout_seconds": 5,
    }
    assert python_field_names({"boardId": "b1"}, PydanticInput) == {"board_id": "b1"}


def test_exact_and_unknown_keys_are_kept_for_validation_to_judge() -> None:
    assert python_field_names({"board_id": "b1", "colourHint": 1}, ArchiveInput) == {
        "board_id": "b1",
        "colourHint": 1,
    }
    assert python_field_names(["not", "an", "object"], ArchiveInput) == ["not", "an", "object"]


def test_nested_fields_are_renamed_at_any_depth_but_dict_keys_are_data() -> None:
    given = {
        "toBoard": {"boardId": "b1"},
        "tagsByUser": {"userId": [{"boardId": "b2", "approvalTimeoutSeconds": 2}]},
    }
    assert python_field_names(given, Move) == {
        "to_board": {"board_id": "b1"},
        "tags_by_user": {"userId": [{"board_id": "b2", "approval_timeout_seconds": 2}]},
    }
    assert python_field_names({"boardId": "b1"}, ArchiveInput | None) == {"board_id": "b1"}
