"""Models as an application declares them: ``baas.models`` names, registered on the App."""

from __future__ import annotations

import pytest

import auth.models
import baas.models
from auth.rules import allow
from baas.application import App
from baas.models import ModelDeclarationError, PartitionKey

RULES = [allow.owner(), allow.groups("admin"), allow.authenticated(read=True)]


def test_app_authors_import_the_model_names_from_baas_models() -> None:
    # The model lives in auth (below functions); baas.models is the stable import path.
    for name in baas.models.__all__:
        if name != "ModelDeclarationError":
            assert getattr(baas.models, name) is getattr(auth.models, name)


def test_app_registers_models_and_refuses_duplicates() -> None:
    app = App("t")

    @app.model(rules=RULES)
    class Board:
        id: PartitionKey[str]

    assert app.models["Board"].table == "Board"
    with pytest.raises(ModelDeclarationError, match="model Board: declared twice"):
        app.model(rules=RULES)(Board)
