"""An invoice as a document: the `InvoiceIssued` shape (JSON), and its CSV rendering."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from billing.adapters.document_format import spreadsheet_text
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


CSV_COLUMNS = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "billing_period",
    "currency",
    "price_list_currency",
    "fx_rate",
    "kind",
    "description",
    "sku",
    "unit",
    "quantity",
    "unit_price",
    "price_list_amount",
    "amount",
    "original_period",
)
_LINE_COLUMNS = CSV_COLUMNS[CSV_COLUMNS.index("kind") :]


def invoice_csv(document: dict[str, Any]) -> str:
    """The invoice as one table: a header row, then one row per line and three closing rows of kind `subtotal`,
    `tax` and `total`, every row with the same columns and the invoice's number, dates and currencies repeated.

    Values are the document's own: decimal strings with `.` (amounts in the invoice currency, unit prices and
    `price_list_amount` in the price-list currency), ISO dates; an empty cell is an absent value. The line amounts
    add up to the subtotal, and subtotal + tax is the total. A draft has no number (empty)."""
    fx = document.get("fx") or {}
    invoice = {
        "invoice_number": document.get("invoice_number") or "",
        "invoice_date": document.get("invoice_date") or "",
        "due_date": document.get("due_date") or "",
        "billing_period": document.get("billing_period") or "",
        "currency": document["currency"],
        "price_list_currency": document.get("price_list_currency") or document["currency"],
        "fx_rate": fx.get("rate") or "",
    }
    tax_rate = document.get("tax_rate") or "0"
    treatment = "reverse charge" if document.get("tax_treatment") == "reverse_charge" else "standard"
    closing = [
        {"kind": "subtotal", "description": "Subtotal", "amount": document["subtotal"]},
        {"kind": "tax", "description": f"Tax {tax_rate} % ({treatment})", "amount": document["tax"]},
        {"kind": "total", "description": "Total", "amount": document["total"]},
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in [*document["lines"], *closing]:
        cells = {column: spreadsheet_text(line.get(column)) for column in _LINE_COLUMNS}
        writer.writerow([{**invoice, **cells}[column] for column in CSV_COLUMNS])
    return out.getvalue()
