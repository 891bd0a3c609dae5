"""Order validation (seed 003, DOMAIN "Ordering validates"): every reason an order is refused, at once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from subscriptions.domain.catalog_model import Product
from subscriptions.domain.ordering import HeldSubscription, ResellerFacts, order_refusals
from tests.unit.subscriptions.catalog_fixtures import PROMO, T1000, TIER1, TIER2_NEW, catalog

PRODUCTS = catalog()


def reseller(country: str = "DE", since: date = date(2019, 5, 1), **overrides: str) -> ResellerFacts:
    values = {"status": "active", "billing_currency": "EUR", **overrides}
    return ResellerFacts("r-1", values["status"], country, since, values["billing_currency"])


def codes(
    product: Product | None,
    on: date,
    buyer: ResellerFacts | None = None,
    held: list[HeldSubscription] | None = None,
    fx: frozenset[str] = frozenset(),
) -> list[str]:
    refusals = order_refusals(
        reseller=buyer if buyer is not None else reseller(),
        product=product,
        start_on=on,
        started_at=datetime.combine(on, datetime.min.time(), tzinfo=UTC),
        held=held or [],
        priceable_currencies=fx | {"USD", "EUR", "GBP", "AUD", "JPY", "CAD"},
    )
    return [r.code for r in refusals]


def test_an_orderable_product_for_an_active_reseller_is_accepted() -> None:
    assert codes(PRODUCTS[T1000], date(2023, 6, 1)) == []


def test_promo_is_orderable_until_2023_10_31() -> None:
    assert codes(PRODUCTS[PROMO], date(2023, 10, 31)) == []


def test_promo_not_orderable_from_2023_11_01() -> None:
    assert codes(PRODUCTS[PROMO], date(2023, 11, 1)) == ["product_not_orderable"]


def test_new_tier_2_is_not_orderable_before_2024() -> None:
    assert codes(PRODUCTS[TIER2_NEW], date(2023, 12, 31)) == ["product_not_yet_available"]
    assert codes(PRODUCTS[TIER2_NEW], date(2024, 1, 1)) == []


def test_tier_1_refused_to_a_new_gb_partner() -> None:
    assert codes(PRODUCTS[TIER1], date(2024, 2, 1), reseller("GB", date(2024, 1, 1))) == ["region_rule"]


def test_tier_1_refused_to_a_new_partner_whose_country_is_written_in_lower_case() -> None:
    # Before the rule had one implementation, subscriptions compared "gb" as written and let it through.
    assert codes(PRODUCTS[TIER1], date(2024, 2, 1), reseller("gb", date(2024, 1, 1))) == ["region_rule"]


def test_tier_1_allowed_to_a_2019_gb_partner() -> None:
    assert codes(PRODUCTS[TIER1], date(2024, 2, 1), reseller("GB", date(2019, 3, 1))) == []


def test_tier_1_allowed_to_a_new_partner_outside_the_rule_countries() -> None:
    assert codes(PRODUCTS[TIER1], date(2024, 2, 1), reseller("DE", date(2024, 1, 1))) == []


def test_a_live_or_trial_or_suspended_contract_subscription_blocks_a_second_one() -> None:
    for status in ("trial", "active", "suspended"):
        held = [HeldSubscription("s-1", "acronis-csp-contracts", status, None)]
        assert codes(PRODUCTS[T1000], date(2023, 6, 1), held=held) == ["exclusion_set"]


def test_a_cancelled_subscription_frees_the_exclusion_set_once_it_has_ended() -> None:
    ends = datetime(2023, 7, 1, tzinfo=UTC)
    held = [HeldSubscription("s-1", "acronis-csp-contracts", "cancelled", ends)]
    assert codes(PRODUCTS[T1000], date(2023, 7, 1), held=held) == []
    assert codes(PRODUCTS[T1000], date(2023, 6, 20), held=held) == ["exclusion_set"]


def test_an_unknown_or_suspended_reseller_is_refused() -> None:
    refusals = order_refusals(
        reseller=None,
        product=PRODUCTS[T1000],
        start_on=date(2023, 6, 1),
        started_at=datetime(2023, 6, 1, tzinfo=UTC),
        held=[],
        priceable_currencies=[],
    )
    assert [r.code for r in refusals] == ["reseller_unknown"]
    assert codes(PRODUCTS[T1000], date(2023, 6, 1), reseller(status="suspended")) == ["reseller_suspended"]


def test_a_currency_without_price_list_amount_or_fx_rate_is_not_priceable() -> None:
    buyer = reseller(billing_currency="CHF")
    assert codes(PRODUCTS[T1000], date(2023, 6, 1), buyer) == ["currency_not_priceable"]
    assert codes(PRODUCTS[T1000], date(2023, 6, 1), buyer, fx=frozenset({"CHF"})) == []


def test_every_reason_is_returned_at_once_with_the_field_it_concerns() -> None:
    buyer = reseller("GB", date(2024, 1, 1), status="suspended", billing_currency="CHF")
    held = [HeldSubscription("s-1", "acronis-csp-contracts", "active", None)]
    refusals = order_refusals(
        reseller=buyer,
        product=PRODUCTS[TIER1],
        start_on=date(2024, 2, 1),
        started_at=datetime(2024, 2, 1, tzinfo=UTC),
        held=held,
        priceable_currencies=["USD"],
    )
    assert {(r.code, r.field) for r in refusals} == {
        ("reseller_suspended", "reseller_id"),
        ("region_rule", "product_id"),
        ("exclusion_set", "product_id"),
        ("currency_not_priceable", "billing_currency"),
    }


def test_an_unknown_product_is_refused() -> None:
    assert codes(None, date(2023, 6, 1)) == ["product_unknown"]


@given(
    st.sampled_from(["US", "GB", "IE", "AU", "DE", "FR", "CA"]),
    st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 1, 1)),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 1, 1)),
)
def test_tier_1_is_refused_exactly_to_new_partners_in_the_rule_countries(country: str, since: date, on: date) -> None:
    refused = "region_rule" in codes(PRODUCTS[TIER1], on, reseller(country, since))
    assert refused == (country in {"US", "GB", "IE", "AU"} and since >= date(2024, 1, 1))
