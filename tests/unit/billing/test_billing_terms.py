"""The rules that choose a period's terms from the settings in force (docs/domain.md, "Settings as data", "Tax")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.domain.billing_terms import (
    REVERSE_CHARGE_NOTE,
    BillingTerms,
    Buyer,
    Seller,
    TaxRule,
    reverse_charge_applies,
    valid_eu_vat_id,
)
from billing.domain.invoice_math import due_date_of

GERMAN_SELLER = Seller("DE", "DE136695976")
FRENCH_VAT_ID = "FR40303265045"
AUSTRIAN_VAT_ID = "ATU13585627"
TERMS = BillingTerms(
    tax_rules={
        "DE": TaxRule(Decimal(19)),
        "CH": TaxRule(Decimal("8.1")),
        "*": TaxRule(Decimal(0), "Not subject to VAT"),
    },
    discounts={"*": Decimal(30), "tier:t-2": Decimal(35), "reseller:r-9": Decimal(40)},
    default_price_list_currency="EUR",
    tier_one={"*": Decimal(10), "r-out": Decimal(0)},
    seller=GERMAN_SELLER,
)


def test_tax_reverse_charge_for_a_buyer_with_a_valid_vat_id_in_another_member_state() -> None:
    treatment = TERMS.tax_for(Buyer("FR", FRENCH_VAT_ID))
    assert (treatment.kind, treatment.rate_percent, treatment.note) == (
        "reverse_charge",
        Decimal(0),
        REVERSE_CHARGE_NOTE,
    )


def test_tax_no_reverse_charge_within_the_sellers_own_country() -> None:
    treatment = TERMS.tax_for(Buyer("DE", "DE136695976"))
    assert (treatment.kind, treatment.rate_percent) == ("standard", Decimal(19))


def test_tax_no_reverse_charge_without_a_valid_vat_id() -> None:
    assert TERMS.tax_for(Buyer("FR", None)).kind == "standard"
    assert TERMS.tax_for(Buyer("FR", "FR00000000000")).kind == "standard"  # check digits wrong
    assert TERMS.tax_for(Buyer("FR", AUSTRIAN_VAT_ID)).kind == "standard"  # another country's id


def test_tax_outside_the_eu_uses_the_country_rate_or_the_default_with_its_note() -> None:
    swiss = TERMS.tax_for(Buyer("CH", "CHE-123.456.788"))
    assert (swiss.kind, swiss.rate_percent, swiss.note) == ("standard", Decimal("8.1"), None)
    japanese = TERMS.tax_for(Buyer("jp", None))
    assert (japanese.rate_percent, japanese.note) == (Decimal(0), "Not subject to VAT")


def test_tax_no_reverse_charge_when_the_seller_is_outside_the_eu_or_unknown() -> None:
    assert not reverse_charge_applies(Seller("CH", None), Buyer("FR", FRENCH_VAT_ID))
    assert not reverse_charge_applies(None, Buyer("FR", FRENCH_VAT_ID))


def test_tax_without_any_rate_is_zero() -> None:
    treatment = BillingTerms().tax_for(Buyer("DE", None))
    assert (treatment.kind, treatment.rate_percent, treatment.note) == ("standard", Decimal(0), None)


@pytest.mark.parametrize(
    ("vat_id", "country", "valid"),
    [
        ("DE136695976", "DE", True),
        ("de 136 695 976", "DE", True),
        ("DE136695977", "DE", False),
        ("EL094259216", "GR", True),  # Greece's VAT ids start with EL
        ("FR40303265045", "DE", False),
        ("", "DE", False),
    ],
)
def test_tax_vat_id_validation_checks_format_check_digits_and_country(vat_id: str, country: str, valid: bool) -> None:
    assert valid_eu_vat_id(vat_id, country) is valid


def test_distributor_discount_the_resellers_over_the_tiers_over_the_default() -> None:
    assert TERMS.discount_percent("r-9", "t-2") == Decimal(40)
    assert TERMS.discount_percent("r-1", "t-2") == Decimal(35)
    assert TERMS.discount_percent("r-1", "t-3") == Decimal(30)
    assert BillingTerms().discount_percent("r-1", "t-3") == Decimal(0)


def test_price_list_currency_the_profiles_choice_over_the_default_over_the_vendors_usd() -> None:
    assert TERMS.price_list_currency("USD") == "USD"
    assert TERMS.price_list_currency(None) == "EUR"
    assert BillingTerms().price_list_currency(None) == "USD"


def test_due_date_is_the_invoice_date_plus_the_payment_terms_in_calendar_days() -> None:
    assert due_date_of(date(2024, 2, 1), 30) == date(2024, 3, 2)
    assert due_date_of(date(2024, 12, 1), 0) == date(2024, 12, 1)
    assert due_date_of(date(2024, 12, 1), 45) == date(2025, 1, 15)


def test_tier_one_program_the_resellers_own_over_the_default() -> None:
    assert TERMS.tier_one_percent("r-1") == Decimal(10)
    assert TERMS.tier_one_percent("r-out") == Decimal(0)
    assert BillingTerms().tier_one_percent("r-1") is None
