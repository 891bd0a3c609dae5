"""Figures and dates on invoice documents in the buyer's locale (billing/adapters/document_format.py): grouping and
the ISO 4217 decimals of each currency, unit prices and quantities never rounded, medium dates, `en` fallback."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.adapters.document_format import NO_BREAK_SPACE, DocumentFormat, decimal_of, spreadsheet_text

NB = NO_BREAK_SPACE

# locale, 177673 JPY, 1234567.5 CHF, 0.0528 USD unit price (no symbol), 12000.125 quantity, 8.1 %, 2024-01-31
CASES = [
    ("en", "¥177,673", f"CHF{NB}1,234,567.50", "0.0528", "12,000.125", "8.1%", "Jan 31, 2024"),
    ("de-DE", f"177.673{NB}¥", f"1.234.567,50{NB}CHF", "0,0528", "12.000,125", f"8,1{NB}%", "31.01.2024"),
    ("fr-CH", f"177'673{NB}JPY", f"1'234'567,50{NB}CHF", "0,0528", "12'000,125", "8,1%", "31 janv. 2024"),
    ("ja-JP", "￥177,673", f"CHF{NB}1,234,567.50", "0.0528", "12,000.125", "8.1%", "2024/01/31"),
]


@pytest.mark.parametrize(("tag", "yen", "francs", "unit_price", "quantity", "percent", "day"), CASES)
def test_figures_and_dates_follow_the_locale(
    tag: str, yen: str, francs: str, unit_price: str, quantity: str, percent: str, day: str
) -> None:
    fmt = DocumentFormat.of(tag)
    assert fmt.tag == tag
    assert fmt.money("177673", "JPY") == yen
    assert fmt.money("1234567.50", "CHF") == francs
    assert fmt.unit_price("0.0528", "USD") == unit_price
    assert fmt.quantity("12000.125") == quantity
    assert fmt.percent("8.1") == percent
    assert fmt.day("2024-01-31") == day
    assert fmt.percent("19") == percent.replace("8,1", "19").replace("8.1", "19")


def test_swiss_grouping_keeps_every_apostrophe_babel_alone_drops_in_millions() -> None:
    fmt = DocumentFormat.of("de-CH")
    assert fmt.money("1234567.50", "CHF") == f"CHF{NB}1'234'567.50"
    assert fmt.amount("-1234567.5", "CHF") == "-1'234'567.50"
    assert fmt.quantity("123456789") == "123'456'789"


def test_money_has_the_currency_decimals_and_keeps_any_more_the_document_has() -> None:
    fmt = DocumentFormat.of("en")
    assert fmt.money("177673", "JPY") == "¥177,673"
    assert fmt.money("2", "USD") == "$2.00"
    assert fmt.money("1.005", "EUR") == "€1.005"  # never rounded away, even when it should not happen
    assert fmt.money("-0.00", "EUR") == "€0.00"
    assert fmt.amount("177673", "JPY") == "177,673"


def test_a_unit_price_keeps_all_its_decimals_and_at_least_the_currency_ones() -> None:
    fmt = DocumentFormat.of("de-DE")
    assert fmt.unit_price("0.0528", "USD") == "0,0528"
    assert fmt.unit_price("0.0350", "USD") == "0,0350"  # the decimals it is written with
    assert fmt.unit_price("28", "EUR") == "28,00"
    assert fmt.unit_price("9.1", "JPY") == "9,1"
    assert fmt.unit_price("4200", "JPY") == "4.200"


def test_quantities_and_rates_are_grouped_never_rounded() -> None:
    fmt = DocumentFormat.of("en")
    assert fmt.quantity("3.483870967741") == "3.483870967741"
    assert fmt.quantity("1536.250") == "1,536.250"  # as given
    assert fmt.quantity("123456789012345678.123456789012") == "123,456,789,012,345,678.123456789012"
    assert fmt.rate("0.90131915") == "0.90131915"


@pytest.mark.parametrize("tag", [None, "", "xx-YY", "not a locale!", "de_DE_bogus_and_long"])
def test_an_unknown_or_missing_locale_falls_back_to_en(tag: str | None) -> None:
    fmt = DocumentFormat.of(tag)
    assert fmt.tag == "en"
    assert fmt.money("1234.5", "USD") == "$1,234.50"


def test_amounts_are_read_as_decimals_never_floats() -> None:
    assert decimal_of("0.10") == Decimal("0.10")
    with pytest.raises(TypeError):
        decimal_of(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a decimal"):
        decimal_of("12,5")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd", "'-cmd"),
        ("-15.00", "-15.00"),
        (None, ""),
        ("Servers", "Servers"),
    ],
)
def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_stays_text(value: str | None, cell: str) -> None:
    assert spreadsheet_text(value) == cell
