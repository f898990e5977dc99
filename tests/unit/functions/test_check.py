"""``baas check`` on small packages written for each case (read with ast, never imported)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from baas.check import check_paths, main

BILLING = """
    from dataclasses import dataclass
    from functions import Context, function

    @dataclass
    class Charge:
        amount: int

    @function(timeout=10)
    async def charge_card(ctx: Context, inp: Charge) -> Charge:
        return inp
"""

HEADER = """
    from functions import Context, function
    from shop.billing import Charge
"""


def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "billing.py").write_text(textwrap.dedent(BILLING))
    for name, source in files.items():
        (package / name).write_text(textwrap.dedent(source))
    return package


def _messages(package: Path) -> list[str]:
    return [f"{Path(f.file).name}:{f.line}: {f.message}" for f in check_paths([package])]


def test_a_clean_package_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = _package(
        tmp_path,
        {
            "orders.py": HEADER
            + """
    import json

    @function(timeout=5)
    async def place_order(ctx: Context, inp: Charge) -> Charge:
        json.dumps({})
        return inp
""",
            # A workflow module may import every function: composing is its job.
            "flows.py": """
    from shop.billing import Charge, charge_card
    from shop.orders import place_order

    async def run() -> None:
        await call(place_order, Charge(1))
        await call(charge_card, Charge(1))
""",
        },
    )
    assert _messages(package) == []
    assert main([str(package)], None) == 0
    assert capsys.readouterr().out.startswith("baas check: no function imports or calls another")


def test_a_direct_call_is_reported_with_both_places(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "orders.py": """
    from functions import Context, function
    import shop.billing

    @function(timeout=5)
    async def place_order(ctx: Context, inp: shop.billing.Charge) -> shop.billing.Charge:
        return await shop.billing.charge_card(ctx, inp)

    @function(timeout=5)
    async def cancel_order(ctx: Context, inp: shop.billing.Charge) -> shop.billing.Charge:
        return await place_order(ctx, inp)
"""
        },
    )
    found = check_paths([package])
    assert [(Path(f.file).name, f.line) for f in found] == [("orders.py", 7), ("orders.py", 11)]
    assert found[0].message == (
        f"function 'place_order' calls function 'charge_card' (defined at {package / 'billing.py'}:10)"
    )
    assert "function 'cancel_order' calls function 'place_order'" in found[1].message


def test_an_imported_function_is_reported_even_when_unused(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "orders.py": HEADER
            + """
    from shop.billing import charge_card

    @function(timeout=5)
    async def place_order(ctx: Context, inp: Charge) -> Charge:
        return inp
"""
        },
    )
    [message] = _messages(package)
    assert message.startswith(
        "orders.py:5: function module 'shop.orders' imports function 'charge_card'"
    )


def test_a_call_through_an_alias_is_reported(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "orders.py": HEADER
            + """
    from shop import billing

    pay = billing.charge_card

    @function(timeout=5)
    async def place_order(ctx: Context, inp: Charge) -> Charge:
        also = pay
        return await also(ctx, inp)
"""
        },
    )
    assert _messages(package) == [
        (
            "orders.py:12: function 'place_order' calls function 'charge_card' "
            f"(defined at {package / 'billing.py'}:10)"
        )
    ]


def test_a_call_through_a_module_attribute_or_wrapped_is_reported(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "orders.py": HEADER
            + """
    import shop.billing as b

    @function(timeout=5)
    async def place_order(ctx: Context, inp: Charge) -> Charge:
        await b.charge_card.__wrapped__(ctx, inp)
        return await b.charge_card(ctx, inp)
"""
        },
    )
    assert [m.split(" (")[0] for m in _messages(package)] == [
        "orders.py:9: function 'place_order' calls function 'charge_card'",
        "orders.py:10: function 'place_order' calls function 'charge_card'",
    ]


def test_an_indirect_import_through_a_re_exporting_module_is_reported(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "api.py": "from shop.billing import charge_card as pay\n",
            "orders.py": HEADER
            + """
    from shop.api import pay

    @function(timeout=5)
    async def place_order(ctx: Context, inp: Charge) -> Charge:
        return await pay(ctx, inp)
""",
        },
    )
    messages = _messages(package)
    assert [m.split(" (")[0] for m in messages] == [
        "orders.py:5: function module 'shop.orders' imports function 'charge_card'",
        "orders.py:9: function 'place_order' calls function 'charge_card'",
    ]


def test_the_command_prints_findings_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = _package(
        tmp_path,
        {"orders.py": HEADER + "\n    from shop.billing import charge_card\n"},
    )
    # No @function in orders.py: importing a function is fine outside function modules.
    assert main([str(package)], None) == 0
    (package / "orders.py").write_text(
        textwrap.dedent(BILLING).replace("charge_card", "refund")
        + "\nfrom shop.billing import charge_card\n"
    )
    assert main([str(package)], None) == 1
    out = capsys.readouterr()
    assert "imports function 'charge_card'" in out.out
    assert "1 problem(s) found" in out.err


def test_a_module_name_is_found_without_importing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    package = _package(tmp_path, {"__init__.py": "raise SystemExit('imported!')\n"})
    monkeypatch.chdir(tmp_path)
    assert main([], "shop:app") == 0
    assert main(["shop.billing"], None) == 0
    assert main(["nowhere.to.be.found"], None) == 2
    assert "no module or path named 'nowhere.to.be.found'" in capsys.readouterr().err
    assert package.is_dir()


def test_baas_check_is_a_cli_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from baas.cli import run

    package = _package(
        tmp_path,
        {
            "orders.py": BILLING.replace("charge_card", "refund")
            + "\n    from shop.billing import charge_card\n"
        },
    )
    assert run(["check", str(package)]) == 1
    assert "imports function 'charge_card'" in capsys.readouterr().out


def test_functions_declared_through_the_baas_facade_are_checked_too(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "orders.py": """
    from baas import Context, function
    from shop.billing import Charge, charge_card

    @function(timeout=5)
    async def place_order(ctx: Context, inp: Charge) -> Charge:
        return await charge_card(ctx, inp)
"""
        },
    )
    (package / "billing.py").write_text(
        (package / "billing.py").read_text().replace("from functions import", "from baas import")
    )

    billing = package / "billing.py"
    assert _messages(package) == [
        (
            "orders.py:3: function module 'shop.orders' imports function 'charge_card' "
            f"(defined at {billing}:10); compose functions in a workflow"
        ),
        f"orders.py:7: function 'place_order' calls function 'charge_card' (defined at {billing}:10)",
    ]
