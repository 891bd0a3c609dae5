"""The invoice of one subscription for one period, as one pure function (docs/domain.md, Billing, seed 003).

Usage lines are rated and rounded in the price-list currency, then converted and rounded in the invoice
currency; the commitment is converted the same way and compared with the usage total in the invoice
currency. Adjustments (late usage of an earlier, invoiced period) and support lines follow, outside the
commitment comparison. Tax is one amount over the subtotal. Amounts are `Decimal` throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from billing.domain.fx import FxQuote
from bss.calendar_months import next_period
from bss.events.contracts.billing import InvoiceLineKind
from bss.money import round_money

COMMITMENT_FEE_TEXT = "Minimum Commitment Amount Fee"

LineKind = InvoiceLineKind


def invoice_date_of(period: date) -> date:
    """The invoice date of a period is the 1st of the following month, whenever the close runs (seed 003)."""
    return next_period(period)


def due_date_of(invoice_date: date, payment_terms_days: int) -> date:
    """Payment is due `payment_terms_days` calendar days after the invoice date (the buyer's billing profile)."""
    return invoice_date + timedelta(days=payment_terms_days)


@dataclass(frozen=True, slots=True)
class RatedUsage:
    """A SKU's aggregated quantity and its unit price in the price-list currency (usage or late usage)."""

    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    original_period: date | None = None  # set for late usage: an adjustment of that period
    unit: str | None = None  # what a quantity counts: "GB", "workload"


@dataclass(frozen=True, slots=True)
class SupportItem:
    """A support charge (positive) or money credit (negative) of the period, in the invoice currency."""

    kind: Literal["support_charge", "support_credit"]
    description: str
    amount: Decimal
    ticket_id: str | None = None
    support_charge_id: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceInput:
    """Everything the invoice math needs, resolved beforehand (tier in force, prices, FX, tax rate)."""

    price_list_currency: str
    currency: str
    fx: FxQuote | None
    commitment: Decimal  # in the price-list currency
    ramp_up: bool
    usage: Sequence[RatedUsage]
    tax_rate_percent: Decimal
    adjustments: Sequence[RatedUsage] = ()
    support: Sequence[SupportItem] = ()
    tax_treatment: str = "standard"
    """`standard` (the buyer country's rate) or `reverse_charge` (0 %); docs/domain.md, "Tax"."""
    tax_note: str | None = None
    """The legal note the invoice prints with its tax (the reverse-charge wording, a country's exemption)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One invoice line; `amount` in the invoice currency, rounded to its minor unit."""

    kind: LineKind
    description: str
    amount: Decimal
    sku: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    original_period: date | None = None
    ticket_id: str | None = None
    support_charge_id: str | None = None
    unit: str | None = None
    price_list_amount: Decimal | None = None
    """A rated line of an FX-billed invoice: quantity x unit price rounded in the price-list currency, before
    conversion (what `amount` converts; both in their currencies, so the line ties out). None when the invoice is
    in the price-list currency: `amount` is that figure."""


@dataclass(frozen=True, slots=True)
class InvoiceAmounts:
    """The computed invoice: lines in print order and the totals they add up to."""

    currency: str
    price_list_currency: str
    fx: FxQuote | None
    commitment: Decimal  # in the invoice currency
    ramp_up_applied: bool
    lines: tuple[Line, ...]
    usage_total: Decimal
    commitment_fee: Decimal
    subtotal: Decimal
    tax_rate_percent: Decimal
    tax: Decimal
    total: Decimal
    tax_treatment: str = "standard"
    tax_note: str | None = None


def to_invoice_currency(amount_in_price_list: Decimal, invoice: InvoiceInput) -> Decimal:
    """A price-list amount already rounded there, converted with the invoice-date rate and rounded again
    (Billing conventions: FX); unchanged when the invoice is in the price-list currency."""
    if invoice.fx is None:
        return round_money(amount_in_price_list, invoice.currency)
    return invoice.fx.convert(amount_in_price_list, invoice.currency)


def rate_line(item: RatedUsage, invoice: InvoiceInput) -> Line:
    """quantity x unit price, rounded in the price-list currency, then converted and rounded (docs/domain.md step 2)."""
    rated = round_money(item.quantity * item.unit_price, invoice.price_list_currency)
    adjustment = item.original_period is not None
    return Line(
        kind="adjustment" if adjustment else "usage",
        description=item.description,
        amount=to_invoice_currency(rated, invoice),
        sku=item.sku,
        quantity=item.quantity,
        unit_price=item.unit_price,
        original_period=item.original_period,
        unit=item.unit,
        price_list_amount=rated if invoice.fx is not None else None,  # else `amount` is it already
    )


def commitment_fee(usage_total: Decimal, commitment: Decimal, ramp_up: bool) -> Decimal:
    """The 'Minimum Commitment Amount Fee': what tops usage up to the commitment; none when usage reaches it,
    the commitment is 0, or a ramp-up applies (seed 003; Billing conventions)."""
    if ramp_up or commitment <= 0 or usage_total >= commitment:
        return Decimal(0)
    return commitment - usage_total


def tax_amount(subtotal: Decimal, rate_percent: Decimal, currency: str) -> Decimal:
    """Tax is one amount, round_half_up(subtotal x rate), over all lines; not a line (Billing conventions)."""
    return round_money(subtotal * rate_percent / Decimal(100), currency)


def compute_invoice(invoice: InvoiceInput) -> InvoiceAmounts:
    """The invoice of one subscription and period: usage lines per SKU, the commitment fee when usage is below
    the commitment and no ramp-up applies, adjustments, support lines, tax and total (docs/domain.md, seed 003)."""
    _check_currencies(invoice)
    usage_lines = [rate_line(item, invoice) for item in sorted(invoice.usage, key=lambda u: u.sku)]
    usage_total = sum((line.amount for line in usage_lines), Decimal(0))
    commitment = to_invoice_currency(invoice.commitment, invoice)
    fee = commitment_fee(usage_total, commitment, invoice.ramp_up)
    lines = list(usage_lines)
    if fee > 0:
        lines.append(Line(kind="commitment_fee", description=COMMITMENT_FEE_TEXT, amount=fee))
    ordered_adjustments = sorted(invoice.adjustments, key=lambda a: (a.original_period or date.min, a.sku))
    lines.extend(rate_line(item, invoice) for item in ordered_adjustments)
    lines.extend(support_line(item, invoice.currency) for item in invoice.support)
    subtotal = sum((line.amount for line in lines), Decimal(0))
    tax = tax_amount(subtotal, invoice.tax_rate_percent, invoice.currency)
    return InvoiceAmounts(
        currency=invoice.currency,
        price_list_currency=invoice.price_list_currency,
        fx=invoice.fx,
        commitment=commitment,
        ramp_up_applied=invoice.ramp_up,
        lines=tuple(lines),
        usage_total=usage_total,
        commitment_fee=fee,
        subtotal=subtotal,
        tax_rate_percent=invoice.tax_rate_percent,
        tax=tax,
        total=subtotal + tax,
        tax_treatment=invoice.tax_treatment,
        tax_note=invoice.tax_note,
    )


def support_line(item: SupportItem, currency: str) -> Line:
    """A support charge (positive) or credit (negative) as a line, rounded to `currency`'s minor unit."""
    amount = round_money(item.amount, currency)
    return Line(
        kind=item.kind,
        description=item.description,
        amount=-abs(amount) if item.kind == "support_credit" else abs(amount),
        ticket_id=item.ticket_id,
        support_charge_id=item.support_charge_id,
    )


def _check_currencies(invoice: InvoiceInput) -> None:
    if (invoice.fx is None) != (invoice.currency == invoice.price_list_currency):
        raise ValueError("an FX quote is given when, and only when, the invoice currency is not the price-list one")
    for value in (invoice.commitment, invoice.tax_rate_percent, *(u.quantity for u in invoice.usage)):
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise ValueError(f"{value!r}: amounts, rates and quantities are finite non-negative Decimals")
