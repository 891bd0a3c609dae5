"""The quantity rule: finite, not negative, at most 18 integer digits and 12 decimals, in at most 64 characters."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss.events.contracts.value_types import decimal_text
from bss.quantities import (
    INVALID,
    OUT_OF_RANGE,
    QuantityRefused,
    canonical_quantity,
    is_plain_quantity,
    parse_quantity,
    quantity_refusal,
)

WIRE_PATTERN = re.compile(r"[0-9]{1,18}(\.[0-9]{1,12})?")  # UsageRecorded.v1's schema for `quantity`


@pytest.mark.parametrize(
    "text",
    ["0", "1536.25", "999999999999999999", "999999999999999999.999999999999", "0.000000000001", "1.500000000000000",
     "1E+3", "-0", "0E+30", " 12 "],
)  # fmt: skip
def test_quantity_within_eighteen_integer_digits_and_twelve_decimals_is_accepted(text: str) -> None:
    assert parse_quantity(text) == Decimal(text.strip())


@pytest.mark.parametrize(
    "text",
    ["1e2000000", "1e999999999", "1e309", "1e-999999", "1" * 19, "1000000000000000000", "0.0000000000001",
     "1.0000000000001"],
)  # fmt: skip
def test_quantity_beyond_eighteen_integer_digits_or_twelve_decimals_is_out_of_range(text: str) -> None:
    with pytest.raises(QuantityRefused) as refused:
        parse_quantity(text)
    assert refused.value.refusal.reason_code == OUT_OF_RANGE
    assert len(refused.value.refusal.detail) < 200  # the value is quoted short, never expanded


def test_quantity_text_over_sixty_four_characters_is_out_of_range_even_if_its_value_fits() -> None:
    with pytest.raises(QuantityRefused, match="65 characters") as refused:
        parse_quantity("1." + "0" * 63)
    assert refused.value.refusal.reason_code == OUT_OF_RANGE


def test_quantity_with_more_than_sixty_four_digits_is_out_of_range_whatever_its_source() -> None:
    refusal = quantity_refusal(Decimal("1" * 5000))
    assert refusal is not None
    assert refusal.reason_code == OUT_OF_RANGE
    with pytest.raises(QuantityRefused):
        parse_quantity(int("9" * 4000))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN", "-1", "-0.5", "twelve", ""])
def test_quantity_that_is_negative_or_not_a_finite_number_is_invalid(value: str) -> None:
    with pytest.raises(QuantityRefused) as refused:
        parse_quantity(value)
    assert refused.value.refusal.reason_code == INVALID


@pytest.mark.parametrize("value", [1.5, 2.0, float("nan"), True])
def test_quantity_is_never_a_float(value: object) -> None:
    with pytest.raises(QuantityRefused, match="never floats"):
        parse_quantity(value)  # type: ignore[arg-type]


def test_hostile_quantities_are_refused_in_microseconds_without_expanding_them() -> None:
    hostile = [Decimal("1e999999999"), Decimal("1e-999999999"), Decimal("1" * 5000), Decimal("9e2000000")]
    started = time.perf_counter()
    for value in hostile * 1000:
        assert quantity_refusal(value) is not None
    assert time.perf_counter() - started < 1.0  # 4,000 refusals; expanding one of them alone takes seconds


@given(st.decimals(allow_nan=True, allow_infinity=True, places=None))
def test_plain_quantity_is_only_ever_an_accepted_one(value: Decimal) -> None:
    if is_plain_quantity(value):
        assert quantity_refusal(value) is None


@given(
    st.integers(min_value=0, max_value=10**18 - 1),
    st.integers(min_value=0, max_value=10**12 - 1),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=-5, max_value=5),
)
def test_accepted_quantity_is_written_on_the_wire_within_the_contract_pattern(
    whole: int, fraction: int, trailing_zeros: int, shift: int
) -> None:
    value = (Decimal(whole) + Decimal(fraction).scaleb(-12)).scaleb(shift)
    text = f"{value:f}" + ("0" * trailing_zeros if "." in f"{value:f}" else "")
    if len(text) > 64 or quantity_refusal(Decimal(text)) is not None:
        return
    accepted = parse_quantity(text)
    assert accepted == Decimal(text)
    assert WIRE_PATTERN.fullmatch(decimal_text(accepted))
    assert canonical_quantity(accepted) == accepted
