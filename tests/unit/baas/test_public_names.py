"""``from baas import App, allow, function, ...``: one import for applications.

The names are the very objects of the packages that define them, and importing ``baas``
alone (what every ``baas`` command does) loads none of those packages.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import baas

_PROBE = """
import json, sys
import baas
print(json.dumps(sorted(sys.modules)))
"""


def test_all_is_sorted_and_every_name_resolves_to_its_home_object() -> None:
    assert baas.__all__ == sorted(baas.__all__)
    for name in baas.__all__:
        home = importlib.import_module(baas._HOMES[name])
        assert getattr(baas, name) is getattr(home, name), name
    assert set(baas._HOMES) == set(baas.__all__)


def test_the_names_an_app_needs_are_there() -> None:
    from baas import App, Context, Index, PartitionKey, SortKey, allow, function  # noqa: F401

    assert baas.App.__module__ == "baas.application"


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        baas.Nope  # noqa: B018 - the access is the test
    assert importlib.import_module("baas.models").__name__ == "baas.models"


def test_importing_baas_alone_loads_none_of_the_stacks() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(result.stdout))
    heavy = {"auth", "functions", "storage", "workflows", "temporalio", "baas.application"}
    assert not heavy & loaded, sorted(heavy & loaded)
