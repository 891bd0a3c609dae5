"""Seeded price books, custom price lists and FX conversion."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.domain.acronis_catalog import COMMITMENTS, SKUS, acronis_catalog
from catalog.domain.pricing import (
    Adjustment,
    CustomPriceList,
    FxQuote,
    MissingRate,
    adjusted_price,
    convert,
    rate_on,
    reseller_unit_price,
)
from catalog.domain.product_identity import product_id_for

CATALOG = acronis_catalog()


def test_higher_tier_has_lower_unit_price_for_every_sku_and_currency() -> None:
    usd_commitment = {product_id_for(code): Decimal(a["USD"]) for code, a in COMMITMENTS.items()}
    by_key: dict[tuple[str, str], list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for price in CATALOG.prices:
        by_key[(price.sku, price.currency)].append((usd_commitment[price.product_id], price.unit_price))
    assert len(by_key) == len(SKUS) * 6
    for rows in by_key.values():
        prices = [unit for _commitment, unit in sorted(rows)]
        assert prices == sorted(prices, reverse=True)
        assert len(set(prices)) == len(prices)


def test_every_tier_has_a_price_for_every_sku_in_every_currency() -> None:
    assert len(CATALOG.prices) == len(CATALOG.products) * len(SKUS) * 6


def test_skus_use_the_aggregation_rule_of_what_they_measure() -> None:
    rules = {s.spec.sku: s.spec.aggregation for s in SKUS}
    assert rules["CSP-SERVERS"] == "max"
    assert rules["CSP-CLOUD-STORAGE-GB"] == "last"
    assert rules["CSP-DR-COMPUTE"] == "sum"
    assert rules["CSP-DR-PUBLIC-IP"] == "average"


@pytest.mark.parametrize(
    ("kind", "percent", "expected"),
    [("markup", "10", "110"), ("discount", "10", "90"), ("margin", "20", "125")],
)
def test_custom_price_list_adjustments(kind: str, percent: str, expected: str) -> None:
    assert adjusted_price(Decimal(100), Adjustment(kind, Decimal(percent))) == Decimal(expected)  # type: ignore[arg-type]


def test_sku_missing_from_custom_price_list_falls_back_to_sell_price() -> None:
    custom = CustomPriceList(adjustment=None, prices={("p", "CSP-SERVERS"): Decimal("20")})
    assert reseller_unit_price(Decimal(25), custom, "p", "CSP-SERVERS") == (Decimal(20), "custom_price")
    assert reseller_unit_price(Decimal(3), custom, "p", "CSP-VMS") == (Decimal(3), "sell_price")
    assert reseller_unit_price(Decimal(3), None, "p", "CSP-VMS") == (Decimal(3), "sell_price")


def test_custom_per_sku_price_wins_over_the_adjustment() -> None:
    custom = CustomPriceList(Adjustment("discount", Decimal(50)), {("p", "A"): Decimal("9")})
    assert reseller_unit_price(Decimal(10), custom, "p", "A")[0] == 9
    assert reseller_unit_price(Decimal(10), custom, "p", "B") == (Decimal(5), "custom_discount")


QUOTES = [
    FxQuote("EUR", date(2024, 1, 1), Decimal("0.90")),
    FxQuote("EUR", date(2024, 2, 1), Decimal("0.92")),
    FxQuote("CHF", date(2024, 1, 1), Decimal("0.85")),
]


def test_fx_uses_the_latest_rate_on_or_before_the_date() -> None:
    assert rate_on(QUOTES, "EUR", date(2024, 1, 31)) == QUOTES[0]
    assert rate_on(QUOTES, "EUR", date(2024, 2, 1)) == QUOTES[1]
    assert rate_on(QUOTES, "EUR", date(2023, 12, 31)) is None


def test_conversion_records_the_rate_used_and_rounds_to_the_minor_unit() -> None:
    result = convert(Decimal("100"), "EUR", "CHF", QUOTES, date(2024, 1, 15))
    assert result.rate == Decimal("0.85") / Decimal("0.90")
    assert result.converted == Decimal("94.44")
    assert result.from_quote == QUOTES[0]
    assert result.to_quote == QUOTES[2]


def test_conversion_without_a_rate_is_refused() -> None:
    with pytest.raises(MissingRate):
        convert(Decimal(1), "USD", "SEK", QUOTES, date(2024, 1, 15))


@given(st.decimals(min_value=0, max_value=10**9, places=4), st.decimals(min_value=0, max_value=99, places=2))
def test_discount_never_raises_and_markup_never_lowers_the_price(price: Decimal, percent: Decimal) -> None:
    assert adjusted_price(price, Adjustment("discount", percent)) <= price
    assert adjusted_price(price, Adjustment("markup", percent)) >= price
    assert adjusted_price(price, Adjustment("margin", percent)) >= price
