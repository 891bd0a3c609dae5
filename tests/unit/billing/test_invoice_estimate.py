"""The estimate of an invoice not issued yet: priced like the invoice, degraded (never refused) by a missing rate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from billing.domain.fx import MissingRate
from billing.domain.invoice_estimate import UnpricedSupport, estimate_invoice
from billing.domain.invoice_math import InvoiceInput, RatedUsage, SupportItem, compute_invoice
from billing.domain.shortfall import project_month_end

D = Decimal
NO_EUR_TO_USD = MissingRate("EUR", "USD", date(2024, 5, 1))
NO_USD_TO_GBP = MissingRate("USD", "GBP", date(2024, 5, 1))


def invoice(**kw: object) -> InvoiceInput:
    defaults: dict[str, object] = {
        "price_list_currency": "USD",
        "currency": "USD",
        "fx": None,
        "commitment": D(1000),
        "ramp_up": False,
        "usage": [RatedUsage(sku="SKU-WS", description="Workstations", quantity=D(108), unit_price=D("2.50"))],
        "tax_rate_percent": D(10),
    }
    defaults.update(kw)
    return InvoiceInput(**defaults)  # type: ignore[arg-type]


def ticket_fee(amount: str = "45") -> SupportItem:
    return SupportItem(kind="support_charge", description="Support ticket fee", amount=D(amount), ticket_id="t-1")


def test_with_every_rate_known_the_estimate_is_the_invoice_the_close_issues() -> None:
    inputs = invoice(support=[ticket_fee()])
    estimate, amounts = estimate_invoice(inputs), compute_invoice(inputs)
    assert [entry.line for entry in estimate.lines] == list(amounts.lines)
    assert (estimate.subtotal, estimate.tax, estimate.total) == (amounts.subtotal, amounts.tax, amounts.total)
    assert (estimate.commitment, estimate.usage_total) == (amounts.commitment, amounts.usage_total)
    assert estimate.complete
    assert estimate.missing_rates == ()


def test_a_support_item_without_a_rate_is_unpriced_and_left_out_of_the_totals() -> None:
    estimate = estimate_invoice(invoice(), unpriced_support=[UnpricedSupport(ticket_fee("45"), NO_EUR_TO_USD)])
    *priced, unpriced = estimate.lines
    assert [(e.line.kind, e.line.amount, e.missing) for e in priced] == [
        ("usage", D("270.00"), None),
        ("commitment_fee", D("730.00"), None),
    ]
    assert (unpriced.line.kind, unpriced.line.amount, unpriced.missing) == ("support_charge", D("45.00"), NO_EUR_TO_USD)
    assert (estimate.subtotal, estimate.tax, estimate.total) == (D("1000.00"), D("100.00"), D("1100.00"))
    assert estimate.missing_rates == (NO_EUR_TO_USD,)
    assert not estimate.complete
    assert estimate.commitment == D("1000.00")  # usage and commitment need no rate: the projection is whole


def test_without_the_price_list_rate_usage_fee_and_commitment_are_unpriced_and_support_stays_priced() -> None:
    inputs = invoice(currency="GBP", support=[ticket_fee("36")])
    estimate = estimate_invoice(inputs, price_list_rate_missing=NO_USD_TO_GBP)
    assert [(e.line.kind, e.line.amount, e.missing) for e in estimate.lines] == [
        ("usage", D("270.00"), NO_USD_TO_GBP),  # in USD, not converted
        ("commitment_fee", D("730.00"), NO_USD_TO_GBP),
        ("support_charge", D("36.00"), None),
    ]
    assert (estimate.commitment, estimate.usage_total) == (None, D("0.00"))
    assert (estimate.subtotal, estimate.total) == (D("36.00"), D("39.60"))
    assert estimate.missing_rates == (NO_USD_TO_GBP,)


def test_a_missing_rate_needed_by_several_lines_is_listed_once() -> None:
    fees = [UnpricedSupport(replace(ticket_fee(), ticket_id=t), NO_EUR_TO_USD) for t in ("t-1", "t-2")]
    assert estimate_invoice(invoice(), unpriced_support=fees).missing_rates == (NO_EUR_TO_USD,)


def test_the_projected_fee_is_unknown_while_the_commitment_is() -> None:
    projection = project_month_end([], None, False, datetime(2024, 4, 10, tzinfo=UTC), "GBP")
    assert projection.projected_fee is None
