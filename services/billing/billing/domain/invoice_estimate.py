"""The estimate of an invoice not issued yet (the consumption views), which degrades where an invoice refuses.

An invoice is a legal document: the month close needs every FX rate and refuses without one. A view of the
month so far still answers: each line a missing rate affects stays unpriced and names the rate, and the totals
are those of the lines that could be priced, flagged incomplete (docs/domain.md, "Consumption views and the
month-end projection"). With every rate known, the estimate is exactly the invoice `compute_invoice` computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from billing.domain.fx import MissingRate
from billing.domain.invoice_math import InvoiceInput, Line, SupportItem, compute_invoice, support_line, tax_amount
from bss.money import round_money


@dataclass(frozen=True, slots=True)
class UnpricedSupport:
    """A support item whose currency has no rate to the invoice currency on the invoice date."""

    item: SupportItem  # its amount in `missing.from_currency`
    missing: MissingRate


@dataclass(frozen=True, slots=True)
class EstimateLine:
    """A line of the estimate: priced, or, when `missing` is set, unpriced, with `line.amount` in
    `missing.from_currency` (not converted)."""

    line: Line
    missing: MissingRate | None = None


@dataclass(frozen=True, slots=True)
class Estimate:
    """The estimated invoice; amounts in the invoice currency, totals over the priced lines only."""

    currency: str
    commitment: Decimal | None  # None: the rate from the price-list currency is missing
    ramp_up_applied: bool
    lines: tuple[EstimateLine, ...]
    usage_total: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    price_list_rate_missing: MissingRate | None  # set: usage, adjustments, commitment and fee are unpriced
    missing_rates: tuple[MissingRate, ...]

    @property
    def complete(self) -> bool:
        return not self.missing_rates


def estimate_invoice(
    invoice: InvoiceInput,
    *,
    price_list_rate_missing: MissingRate | None = None,
    unpriced_support: Sequence[UnpricedSupport] = (),
) -> Estimate:
    """The invoice the close would issue when every rate is known; else the lines a missing rate affects are
    unpriced, naming it (all usage, adjustment and fee lines and the commitment when the price-list currency's
    rate is missing; the support items in `unpriced_support`), and the totals are those of the priced lines
    (read-only views degrade, invoices refuse)."""
    if price_list_rate_missing is None:
        amounts = compute_invoice(invoice)
        lines = [EstimateLine(line) for line in amounts.lines]
        commitment: Decimal | None = amounts.commitment
        usage_total = amounts.usage_total
    else:
        lines = _without_price_list_rate(invoice, price_list_rate_missing)
        commitment, usage_total = None, round_money(Decimal(0), invoice.currency)  # no usage line is priced
    lines += [EstimateLine(support_line(u.item, u.missing.from_currency), u.missing) for u in unpriced_support]
    subtotal = sum((entry.line.amount for entry in lines if entry.missing is None), Decimal(0))
    tax = tax_amount(subtotal, invoice.tax_rate_percent, invoice.currency)
    return Estimate(
        currency=invoice.currency,
        commitment=commitment,
        ramp_up_applied=invoice.ramp_up,
        lines=tuple(lines),
        usage_total=usage_total,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        price_list_rate_missing=price_list_rate_missing,
        missing_rates=tuple(dict.fromkeys(entry.missing for entry in lines if entry.missing is not None)),
    )


def _without_price_list_rate(invoice: InvoiceInput, missing: MissingRate) -> list[EstimateLine]:
    """Usage, fee and adjustment lines rated in the price-list currency (the fee compared with the commitment
    there, the only place both are known), all unpriced for lack of `missing`; then the priced support lines."""
    if invoice.fx is not None or invoice.currency == invoice.price_list_currency:
        raise ValueError("a missing price-list rate is given only when the invoice has no FX quote and needs one")
    rated = compute_invoice(replace(invoice, currency=invoice.price_list_currency, support=()))
    support = [EstimateLine(support_line(item, invoice.currency)) for item in invoice.support]
    return [EstimateLine(line, missing) for line in rated.lines] + support
