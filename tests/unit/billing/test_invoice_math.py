"""The invoice math of seed 003 and the Billing conventions, one test per rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.domain.fx import FxQuote
from billing.domain.invoice_math import (
    COMMITMENT_FEE_TEXT,
    InvoiceInput,
    RatedUsage,
    SupportItem,
    commitment_fee,
    compute_invoice,
)

D = Decimal


def usd_invoice(
    usage: list[RatedUsage], *, commitment: str = "1000", ramp_up: bool = False, **kw: object
) -> InvoiceInput:
    defaults: dict[str, object] = {
        "price_list_currency": "USD",
        "currency": "USD",
        "fx": None,
        "commitment": D(commitment),
        "ramp_up": ramp_up,
        "usage": usage,
        "tax_rate_percent": D(0),
    }
    defaults.update(kw)
    return InvoiceInput(**defaults)  # type: ignore[arg-type]


def worth(amount: str, sku: str = "SKU-A") -> RatedUsage:
    return RatedUsage(sku=sku, description=sku, quantity=D(amount), unit_price=D(1))


def test_seed_003_usage_850_below_1000_commitment_adds_a_150_fee_payable_1000() -> None:
    result = compute_invoice(usd_invoice([worth("500", "SKU-A"), worth("350", "SKU-B")]))
    assert [(line.kind, line.amount) for line in result.lines] == [
        ("usage", D("500.00")),
        ("usage", D("350.00")),
        ("commitment_fee", D("150.00")),
    ]
    assert result.lines[-1].description == COMMITMENT_FEE_TEXT
    assert result.usage_total == D("850.00")
    assert result.total == D("1000.00")


def test_seed_003_usage_1150_above_commitment_has_no_fee_payable_1150() -> None:
    result = compute_invoice(usd_invoice([worth("1150")]))
    assert [line.kind for line in result.lines] == ["usage"]
    assert result.total == D("1150.00")


def test_usage_equal_to_commitment_has_no_fee_line() -> None:
    result = compute_invoice(usd_invoice([worth("1000")]))
    assert [line.kind for line in result.lines] == ["usage"]
    assert result.commitment_fee == 0


def test_zero_commitment_never_has_a_fee_line() -> None:
    result = compute_invoice(usd_invoice([], commitment="0"))
    assert result.lines == ()
    assert result.total == 0


def test_ramp_up_month_with_usage_850_is_payable_850() -> None:
    result = compute_invoice(usd_invoice([worth("850")], ramp_up=True))
    assert [line.kind for line in result.lines] == ["usage"]
    assert result.ramp_up_applied
    assert result.total == D("850.00")


def test_each_line_is_rounded_half_up_to_the_minor_unit() -> None:
    item = RatedUsage(sku="SKU-GB", description="Storage", quantity=D("1536.25"), unit_price=D("0.035"))
    result = compute_invoice(usd_invoice([item], commitment="0"))
    assert result.lines[0].amount == D("53.77")  # 53.76875 -> 53.77
    assert result.lines[0].quantity == D("1536.25")  # quantities are never rounded


def test_jpy_has_no_minor_unit() -> None:
    item = RatedUsage(sku="SKU-GB", description="Storage", quantity=D("1000.5"), unit_price=D("5.2"))
    invoice = usd_invoice([item], commitment="140000", price_list_currency="JPY", currency="JPY")
    result = compute_invoice(invoice)
    assert result.lines[0].amount == D("5203")  # 5202.6 -> 5203
    assert result.commitment_fee == D("134797")
    assert result.total == D("140000")


def test_fx_converts_each_rounded_line_and_the_commitment_at_the_invoice_date_rate() -> None:
    fx = FxQuote(rate=D("0.8412"), rate_table_id="t", effective_from=date(2024, 1, 1))
    usage = [worth("500.005", "SKU-A"), worth("350", "SKU-B")]  # 500.005 USD -> 500.01 USD first
    result = compute_invoice(usd_invoice(usage, currency="CHF", fx=fx))
    assert [line.amount for line in result.lines] == [D("420.61"), D("294.42"), D("126.17")]
    assert result.commitment == D("841.20")
    assert result.total == D("841.20")


def test_fx_comparison_is_made_in_the_invoice_currency() -> None:
    # 1000 USD at 0.9999 = 999.90 EUR; usage lines 333.30 x 3 = 999.90: equal, so no fee in EUR.
    fx = FxQuote(rate=D("0.9999"), rate_table_id="t", effective_from=date(2024, 1, 1))
    usage = [worth("333.33", s) for s in ("SKU-A", "SKU-B", "SKU-C")]
    result = compute_invoice(usd_invoice(usage, currency="EUR", fx=fx))
    assert result.usage_total == D("999.90")
    assert result.commitment_fee == 0


def test_adjustments_carry_their_period_and_stay_out_of_the_commitment_comparison() -> None:
    late = RatedUsage(
        sku="SKU-A", description="late", quantity=D("400"), unit_price=D(1), original_period=date(2023, 11, 1)
    )
    result = compute_invoice(usd_invoice([worth("850")], adjustments=[late]))
    assert [line.kind for line in result.lines] == ["usage", "commitment_fee", "adjustment"]
    assert result.commitment_fee == D("150.00")
    assert result.lines[-1].original_period == date(2023, 11, 1)
    assert result.total == D("1400.00")


def test_support_charges_add_and_credits_reduce() -> None:
    support = [
        SupportItem(kind="support_charge", description="Ticket fee", amount=D("45")),
        SupportItem(kind="support_credit", description="Fee reversed", amount=D("45")),
        SupportItem(kind="support_charge", description="Paid incident", amount=D("120")),
    ]
    result = compute_invoice(usd_invoice([worth("1200")], support=support))
    assert [line.amount for line in result.lines[1:]] == [D("45.00"), D("-45.00"), D("120.00")]
    assert result.total == D("1320.00")


def test_tax_is_one_amount_over_the_subtotal_after_the_commitment_comparison() -> None:
    result = compute_invoice(usd_invoice([worth("850")], tax_rate_percent=D("8.1")))
    assert result.subtotal == D("1000.00")
    assert result.tax == D("81.00")
    assert result.total == D("1081.00")
    assert all(line.kind != "tax" for line in result.lines)  # type: ignore[comparison-overlap]


def test_tax_rounds_half_up() -> None:
    result = compute_invoice(usd_invoice([worth("0.5")], commitment="0", tax_rate_percent=D("1")))
    assert result.tax == D("0.01")  # 0.005 -> 0.01


def test_commitment_fee_example_from_style_guide() -> None:
    assert commitment_fee(D(850), D(1000), ramp_up=False) == D(150)
    assert commitment_fee(D(850), D(1000), ramp_up=True) == 0


def test_fx_quote_required_exactly_when_currencies_differ() -> None:
    with pytest.raises(ValueError, match="FX"):
        compute_invoice(usd_invoice([], currency="CHF"))


def test_float_quantities_are_refused() -> None:
    bad = RatedUsage(sku="S", description="S", quantity=0.5, unit_price=D(1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Decimal"):
        compute_invoice(usd_invoice([bad]))
