"""Hypothesis strategies for DynamoDB values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st


def _at_most_38_digits(number: Decimal) -> Decimal:
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    return Decimal((sign, digits[:38], exponent + max(0, len(digits) - 38)))


numbers = (
    st.decimals(
        allow_nan=False,
        allow_infinity=False,
        min_value=Decimal("-1E+125"),
        max_value=Decimal("1E+125"),
    )
    .filter(lambda d: d.is_zero() or -130 <= d.adjusted() <= 125)
    .map(_at_most_38_digits)
)
names = st.text(min_size=1, max_size=8)
scalars = st.one_of(
    st.text(max_size=12),
    numbers,
    st.binary(max_size=12),
    st.booleans(),
    st.none(),
    st.sets(st.text(max_size=5), min_size=1, max_size=4),
    st.sets(st.integers(-(10**6), 10**6).map(Decimal), min_size=1, max_size=4),
    st.sets(st.binary(max_size=5), min_size=1, max_size=4),
)
values: Any = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(names, children, max_size=4)
    ),
    max_leaves=12,
)


def items() -> Any:
    """Items of every type, nested."""
    return st.dictionaries(names, values, max_size=6)
