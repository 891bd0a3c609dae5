"""An invoice as a document: the `InvoiceIssued` shape (JSON), and its CSV rendering."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from billing.adapters.invoice_inputs import ResolvedInvoice
from billing.adapters.read_model import SubscriptionView
from billing.domain.billing_terms import Seller
from billing.domain.invoice_math import InvoiceAmounts, Line, due_date_of
from bss.calendar_months import next_period
from bss.events.contracts.value_types import decimal_text


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def line_document(line: Line) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "description": line.description,
        "sku": line.sku,
        "quantity": _text(line.quantity),
        "unit_price": _text(line.unit_price),
        "amount": _text(line.amount),
        "original_period": _text(line.original_period),
        "ticket_id": line.ticket_id,
        "support_charge_id": line.support_charge_id,
        "unit": line.unit,
        "price_list_amount": _text(line.price_list_amount),
    }


def invoice_document(
    invoice_id: str, view: SubscriptionView, period: date, resolved: ResolvedInvoice, amounts: InvoiceAmounts
) -> dict[str, Any]:
    """The invoice in the `InvoiceIssued.v1` shape (decimal strings); the number is set when it is issued."""
    fx = amounts.fx
    return {
        "invoice_id": invoice_id,
        "invoice_number": None,
        "reseller_id": view.row.reseller_id,
        "subscription_id": view.row.subscription_id,
        "product_id": resolved.product_id,
        "tier": resolved.tier,
        "billing_period": period.isoformat(),
        "service_period_end": (next_period(period) - timedelta(days=1)).isoformat(),
        "invoice_date": resolved.invoice_date.isoformat(),
        "currency": amounts.currency,
        "price_list_currency": amounts.price_list_currency,
        "fx": None
        if fx is None
        else {
            "rate": _text(fx.rate),
            "rate_table_id": fx.rate_table_id,
            "effective_from": fx.effective_from.isoformat(),
            "legs": [
                {
                    "from": leg.from_currency,
                    "to": leg.to_currency,
                    "rate": _text(leg.rate),
                    "rate_table_id": leg.rate_table_id,
                    "effective_from": leg.effective_from.isoformat(),
                }
                for leg in fx.legs
            ],
        },
        "commitment": _text(amounts.commitment),
        "ramp_up_applied": amounts.ramp_up_applied,
        "lines": [line_document(line) for line in amounts.lines],
        "usage_total": _text(amounts.usage_total),
        "subtotal": _text(amounts.subtotal),
        "tax_rate": _text(amounts.tax_rate_percent),
        "tax": _text(amounts.tax),
        "total": _text(amounts.total),
        "tax_treatment": amounts.tax_treatment,
        "tax_note": amounts.tax_note,
        "seller": _seller(resolved.seller),
        "buyer": resolved.buyer.model_dump(mode="json") if resolved.buyer else None,
        "payment_terms_days": resolved.payment_terms_days,
        "due_date": due_date_of(resolved.invoice_date, resolved.payment_terms_days).isoformat(),
        "locale": resolved.locale,
    }


def _seller(seller: Seller | None) -> dict[str, Any] | None:
    if seller is None:
        return None
    return {
        "legal_name": seller.legal_name,
        "country": seller.country,
        "vat_id": seller.vat_id,
        "address_lines": list(seller.address_lines),
        "iban": seller.iban,
        "bic": seller.bic,
        "bank_name": seller.bank_name,
    }


CSV_COLUMNS = ("kind", "description", "sku", "quantity", "unit_price", "amount", "original_period")


def invoice_csv(document: dict[str, Any]) -> str:
    """One row per line, then the subtotal, tax and total rows, in the invoice currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["invoice_number", document.get("invoice_number") or "(draft)"])
    writer.writerow(["billing_period", document["billing_period"], "tier", document["tier"]])
    writer.writerow(["currency", document["currency"]])
    writer.writerow(CSV_COLUMNS)
    for line in document["lines"]:
        writer.writerow([line.get(column) or "" for column in CSV_COLUMNS])
    for label in ("subtotal", "tax", "total"):
        writer.writerow([label, "", "", "", "", document[label], ""])
    return out.getvalue()
