"""Money: ISO 4217 minor units, the one half-up rounding function, exact parsing, and same-currency arithmetic."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss.iso4217 import MINOR_UNITS
from bss.money import (
    PRICE_LIST_CURRENCIES,
    Money,
    UnknownCurrency,
    currency_code,
    minor_unit_exponent,
    parse_decimal,
    round_money,
)

D = Decimal

# Amounts as a billing run produces them: up to 10^20 with up to 12 decimals (unit prices have 6+ decimals).
amounts = st.builds(
    lambda coefficient, decimals: D(f"{coefficient}E-{decimals}"),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=0, max_value=12),
)
currencies = st.sampled_from(sorted(MINOR_UNITS))


def minor_unit(currency: str) -> Decimal:
    return D(1).scaleb(-minor_unit_exponent(currency))


# --- ISO 4217 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "decimals"),
    [("JPY", 0), ("KRW", 0), ("CLP", 0), ("USD", 2), ("EUR", 2), ("GBP", 2), ("KWD", 3), ("BHD", 3), ("OMR", 3)],
)
def test_minor_unit_exponent_is_the_iso_4217_number_of_decimals(currency: str, decimals: int) -> None:
    assert minor_unit_exponent(currency) == decimals


def test_the_six_price_list_currencies_are_known_iso_currencies() -> None:
    assert set(PRICE_LIST_CURRENCIES) == {"USD", "EUR", "GBP", "AUD", "JPY", "CAD"}
    assert {code: minor_unit_exponent(code) for code in PRICE_LIST_CURRENCIES} == {
        "USD": 2,
        "EUR": 2,
        "GBP": 2,
        "AUD": 2,
        "JPY": 0,
        "CAD": 2,
    }


def test_every_known_currency_is_a_three_letter_upper_case_code_with_0_to_3_decimals() -> None:
    for code, decimals in MINOR_UNITS.items():
        assert len(code) == 3
        assert code.isalpha()
        assert code.isupper()
        assert decimals in (0, 2, 3)


@pytest.mark.parametrize("code", ["XYZ", "", "US", "USDD", "XAU", "XDR", "€"])
def test_unknown_currency_is_refused_with_unknown_currency(code: str) -> None:
    with pytest.raises(UnknownCurrency) as refused:
        currency_code(code)
    assert refused.value.code == code
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize("code", ["XYZ", "xau", ""])
def test_rounding_in_an_unknown_currency_is_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        round_money(D("1.005"), code)


@pytest.mark.parametrize(("given_code", "normalized"), [("usd", "USD"), ("Jpy", "JPY"), (" kwd ", "KWD")])
def test_currency_codes_are_normalised_to_upper_case(given_code: str, normalized: str) -> None:
    assert currency_code(given_code) == normalized
    assert minor_unit_exponent(given_code) == MINOR_UNITS[normalized]


def test_rounding_accepts_a_lower_case_currency() -> None:
    assert round_money(D("1.005"), "usd") == D("1.01")
    assert round_money(D("0.5"), "jpy") == D("1")


# --- round_money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("0.5", "JPY", "1"),
        ("1.4999", "JPY", "1"),
        ("1.5", "JPY", "2"),
        ("2.5", "JPY", "3"),  # half up, not half even (banker's rounding would give 2)
        ("0.49", "JPY", "0"),
        ("1000", "JPY", "1000"),
        ("0.005", "USD", "0.01"),
        ("1.005", "USD", "1.01"),  # the float 1.005 is 1.00499..., a Decimal is exact
        ("0.0049999", "USD", "0.00"),
        ("2.675", "USD", "2.68"),
        ("12.3", "USD", "12.30"),
        ("0.0005", "KWD", "0.001"),
        ("1.2345", "BHD", "1.235"),
        ("1.23449", "BHD", "1.234"),
        ("1000000000000000.0000000000005", "USD", "1000000000000000.00"),
    ],
)
def test_round_money_rounds_half_up_to_the_minor_unit(amount: str, currency: str, rounded: str) -> None:
    result = round_money(D(amount), currency)
    assert result == D(rounded)
    assert result.as_tuple().exponent == -minor_unit_exponent(currency)


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("-0.5", "JPY", "-1"),
        ("-2.5", "JPY", "-3"),
        ("-1.4999", "JPY", "-1"),
        ("-1.005", "USD", "-1.01"),
        ("-0.0049", "USD", "0.00"),
        ("-0.0005", "KWD", "-0.001"),
        ("-1.2345", "BHD", "-1.235"),
    ],
)
def test_negative_amounts_round_half_away_from_zero(amount: str, currency: str, rounded: str) -> None:
    assert round_money(D(amount), currency) == D(rounded)


def test_rounding_lines_then_summing_can_differ_from_rounding_the_sum() -> None:
    # Why the suite rounds at line level and sums the rounded lines: the total must equal what the lines show.
    lines = [D("0.005"), D("0.005"), D("0.005")]
    assert sum(round_money(line, "USD") for line in lines) == D("0.03")
    assert round_money(sum(lines, D(0)), "USD") == D("0.02")


@given(amount=amounts, currency=currencies)
def test_rounding_is_idempotent(amount: Decimal, currency: str) -> None:
    once = round_money(amount, currency)
    assert round_money(once, currency) == once
    assert round_money(once, currency).as_tuple() == once.as_tuple()


@given(amount=amounts, currency=currencies)
def test_rounding_never_moves_an_amount_by_more_than_half_a_minor_unit(amount: Decimal, currency: str) -> None:
    with localcontext() as exact:
        exact.prec = 100
        assert abs(round_money(amount, currency) - amount) <= minor_unit(currency) / 2


@given(amount=amounts, currency=currencies)
def test_rounded_amount_has_exactly_the_currency_decimals(amount: Decimal, currency: str) -> None:
    assert round_money(amount, currency).as_tuple().exponent == -minor_unit_exponent(currency)


@given(amount=amounts, currency=currencies)
def test_rounding_is_symmetric_around_zero(amount: Decimal, currency: str) -> None:
    assert round_money(-amount, currency) == -round_money(amount, currency)


@given(first=amounts, second=amounts, currency=currencies)
def test_rounding_preserves_order(first: Decimal, second: Decimal, currency: str) -> None:
    low, high = sorted((first, second))
    assert round_money(low, currency) <= round_money(high, currency)


@given(lines=st.lists(amounts, max_size=30), currency=currencies)
def test_sum_of_rounded_lines_needs_no_further_rounding_and_stays_within_half_a_unit_per_line(
    lines: list[Decimal], currency: str
) -> None:
    with localcontext() as exact:
        exact.prec = 100
        rounded_lines = [round_money(line, currency) for line in lines]
        total = sum(rounded_lines, D(0))
        assert round_money(total, currency) == total
        assert abs(total - sum(lines, D(0))) <= len(lines) * minor_unit(currency) / 2


# --- parse_decimal ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("12.3400", D("12.3400")), ("-0.000001", D("-0.000001")), (" 7 ", D(7)), (5, D(5)), (D("1.50"), D("1.50"))],
)
def test_parse_decimal_keeps_every_digit_of_an_exact_representation(text: str | int | Decimal, value: Decimal) -> None:
    parsed = parse_decimal(text)
    assert parsed == value
    assert parsed.as_tuple() == value.as_tuple()


def test_parse_decimal_keeps_30_significant_digits() -> None:
    assert str(parse_decimal("123456789012345678.123456789012")) == "123456789012345678.123456789012"


@pytest.mark.parametrize("value", [1.5, 0.1, True, False])
def test_parse_decimal_refuses_float_and_bool(value: object) -> None:
    with pytest.raises(TypeError, match="never float"):
        parse_decimal(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", D("NaN"), D("Infinity")])
def test_parse_decimal_refuses_nan_and_infinity(text: str | Decimal) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "1,5", "12 EUR", "0x10", "--1"])
def test_parse_decimal_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="is not a decimal number"):
        parse_decimal(text)


# --- Money ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1.5, 1, True])
def test_money_refuses_an_amount_that_is_not_a_decimal(amount: object) -> None:
    with pytest.raises(TypeError, match="Decimal"):
        Money(amount, "USD")  # type: ignore[arg-type]


def test_money_refuses_an_unknown_currency() -> None:
    with pytest.raises(UnknownCurrency):
        Money(D("1"), "XYZ")


def test_money_normalises_its_currency_code() -> None:
    assert Money(D("1"), "eur").currency == "EUR"
    assert Money(D("1"), "eur") == Money(D("1"), "EUR")


def test_money_adds_and_subtracts_within_one_currency() -> None:
    assert Money(D("1.10"), "USD") + Money(D("2.205"), "usd") == Money(D("3.305"), "USD")
    assert Money(D("1.10"), "USD") - Money(D("2.205"), "USD") == Money(D("-1.105"), "USD")


def test_money_refuses_to_mix_currencies() -> None:
    with pytest.raises(ValueError, match="cannot combine USD with EUR"):
        _ = Money(D("1"), "USD") + Money(D("1"), "EUR")
    with pytest.raises(ValueError, match="cannot combine JPY with USD"):
        _ = Money(D("1"), "JPY") - Money(D("1"), "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [("1234.5", "JPY", "1235"), ("1.005", "USD", "1.01"), ("-1.2345", "KWD", "-1.235")],
)
def test_money_rounded_uses_its_own_currency_minor_unit(amount: str, currency: str, rounded: str) -> None:
    assert Money(D(amount), currency).rounded() == Money(D(rounded), currency)


def test_money_is_immutable() -> None:
    money = Money(D("1"), "USD")
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.amount = D("2")  # type: ignore[misc]


def test_money_reads_as_amount_and_code() -> None:
    assert str(Money(D("12.50"), "gbp")) == "12.50 GBP"
