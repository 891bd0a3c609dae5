"""An invoice as an A4 PDF: the same document as the JSON and CSV renderings, on the page of `document_pdf`.

Page 1 reads top down as an accountant checks an invoice: who bills whom (seller, "Bill to"), the facts (dates,
due date and terms, service period, product, currency, the FX rates with their tables), the lines (the table
header repeats on every page), the totals with the currency, the tax by rate and treatment with its legal note,
what the commitment fee, a ramp-up or an adjustment means, and how to pay (IBAN in groups of four, reference).
Figures and dates follow the document's locale (`document_format`); the labels are English. Documents stored
before a key existed (no seller, buyer, locale, due date, units, FX legs...) render without that part.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from billing.adapters.document_format import NO_BREAK_SPACE, DocumentFormat, decimal_of
from billing.adapters.document_pdf import (
    MARGIN,
    DocumentPdf,
    Fact,
    buyer_lines,
    footer_line,
    iban_groups,
    last_day_of_month,
    seller_lines,
    tax_label,
    tax_table,
)

_OUTSIDE_COMMITMENT = {
    "adjustment": "adjustments (late usage)",
    "support_charge": "support charges",
    "support_credit": "support credits",
}


def _columns(document: dict[str, Any]) -> tuple[list[str], list[float]]:
    currency, price_list = document["currency"], document.get("price_list_currency") or document["currency"]
    if document.get("fx"):
        headings = ["Description", "Quantity", f"Unit price ({price_list})"]
        return [*headings, f"Amount ({price_list})", f"Amount ({currency})"], [52, 34, 27, 30, 31]
    return ["Description", "Quantity", f"Unit price ({currency})", f"Amount ({currency})"], [70, 36, 32, 36]


def _quantity(pdf: DocumentPdf, line: dict[str, Any], width: float) -> str:
    """The quantity and its unit on one line when they fit (never split inside either), else the unit below."""
    if line.get("quantity") in (None, ""):
        return ""
    quantity, unit = pdf.fmt.quantity(line["quantity"]), (line.get("unit") or "").replace(" ", NO_BREAK_SPACE)
    if not unit:
        return quantity
    together = f"{quantity}{NO_BREAK_SPACE}{unit}"
    return together if pdf.fits(together, width) else f"{quantity}\n{unit}"


def _line_row(pdf: DocumentPdf, line: dict[str, Any], document: dict[str, Any], widths: list[float]) -> list[str]:
    fmt, currency = pdf.fmt, document["currency"]
    price_list = document.get("price_list_currency") or currency
    description = line.get("description") or ""
    if line.get("sku"):
        description = f"{description}\n{line['sku']}"
    unit_price = "" if line.get("unit_price") in (None, "") else fmt.unit_price(line["unit_price"], price_list)
    row = [description, _quantity(pdf, line, widths[1]), unit_price]
    if document.get("fx"):
        listed = line.get("price_list_amount")
        row.append("" if listed in (None, "") else fmt.amount(listed, price_list))
    row.append(fmt.amount(line["amount"], currency))
    return row


def _period(document: dict[str, Any], fmt: DocumentFormat) -> str:
    first = date.fromisoformat(document["billing_period"])
    end = document.get("service_period_end") or last_day_of_month(first).isoformat()
    return f"{fmt.day(first)} – {fmt.day(end)}"


def _facts(document: dict[str, Any], fmt: DocumentFormat) -> list[Fact]:
    rows = [Fact("Invoice date", fmt.day(document["invoice_date"]))]
    if document.get("due_date"):
        terms = document.get("payment_terms_days")
        rows.append(Fact("Due date", fmt.day(document["due_date"]) + ("" if terms is None else f" ({terms} days net)")))
    rows.append(Fact("Service period", _period(document, fmt)))
    rows.append(Fact("Product", document.get("tier") or ""))
    currency, price_list = document["currency"], document.get("price_list_currency") or document["currency"]
    rows.append(Fact("Currency", currency if price_list == currency else f"{currency} (prices in {price_list})"))
    rows.append(Fact("Subscription", document.get("subscription_id") or "", 7))
    return rows


def _fx_lines(document: dict[str, Any], fmt: DocumentFormat) -> list[str]:
    fx, currency = document["fx"], document["currency"]
    price_list = document.get("price_list_currency") or currency
    lines = [
        f"1 {price_list} = {fmt.rate(fx['rate'])} {currency}, rates effective {fmt.day(fx['effective_from'])}, "
        f"FX table {fx.get('rate_table_id', '')}"
    ]
    legs = fx.get("legs") or []
    for index, leg in enumerate(legs, 1):
        lines.append(
            f"Leg {index} of {len(legs)}: 1 {leg['from']} = {fmt.rate(leg['rate'])} {leg['to']}, effective "
            f"{fmt.day(leg['effective_from'])}, FX table {leg.get('rate_table_id', '')}"
        )
    lines.append(
        f"Each line is rated and rounded in {price_list}, then converted at the combined rate and rounded in "
        f"{currency}."
    )
    return lines


def _commitment_note(document: dict[str, Any], fmt: DocumentFormat) -> list[str]:
    currency, commitment = document["currency"], document.get("commitment") or "0"
    usage = document.get("usage_total") or "0"
    fees = [line for line in document["lines"] if line.get("kind") == "commitment_fee"]
    if fees:
        fee = sum((decimal_of(line["amount"]) for line in fees), Decimal(0))
        return [
            f"Minimum Commitment Amount Fee: usage {fmt.money(usage, currency)} of a minimum commitment of "
            f"{fmt.money(commitment, currency)}: fee {fmt.money(fee, currency)}, which tops the usage up to the "
            "commitment."
        ]
    if document.get("ramp_up_applied"):
        return [
            f"Ramp-up period: no commitment fee (the minimum commitment of {fmt.money(commitment, currency)} does "
            "not apply to this period)."
        ]
    if decimal_of(commitment) > 0:
        return [
            f"Usage {fmt.money(usage, currency)} reaches the minimum commitment of "
            f"{fmt.money(commitment, currency)}: no commitment fee."
        ]
    return []


def _notes(document: dict[str, Any], fmt: DocumentFormat) -> list[str]:
    """What the commitment fee, a ramp-up, adjustments and support lines on this invoice mean."""
    lines = document["lines"]
    notes = _commitment_note(document, fmt)
    periods = sorted({line.get("original_period") for line in lines if line.get("kind") == "adjustment"} - {None})
    for first in periods:
        start = date.fromisoformat(str(first))
        notes.append(
            f"Adjustment: late usage of {fmt.day(start)} – {fmt.day(last_day_of_month(start))}, reported after "
            "that month was invoiced."
        )
    outside = [name for kind, name in _OUTSIDE_COMMITMENT.items() if any(line.get("kind") == kind for line in lines)]
    if outside:
        listed = ", ".join(outside[:-1]) + (" and " if len(outside) > 1 else "") + outside[-1]
        notes.append(f"{listed[0].upper()}{listed[1:]} do not count toward the commitment.")
    return notes


def _payment(pdf: DocumentPdf, document: dict[str, Any]) -> None:
    fmt, currency, number = pdf.fmt, document["currency"], document.get("invoice_number")
    seller = document.get("seller") or {}
    pdf.ensure_room(34)
    pdf.heading("Payment")
    if not number:
        pdf.paragraph("Draft: this invoice is not issued yet and is not to be paid.")
        return
    total = decimal_of(document["total"])
    if total <= 0:
        pdf.paragraph("Nothing to pay.")
        return
    due = fmt.day(document["due_date"]) if document.get("due_date") else ""
    pdf.paragraph(f"Please pay {fmt.money(total, currency)}{f' by {due}' if due else ''}, quoting the reference.")
    pdf.ln(1)
    account = [
        Fact("Account holder", seller.get("legal_name") or ""),
        Fact("IBAN", iban_groups(seller["iban"]) if seller.get("iban") else ""),
        Fact("BIC", seller.get("bic") or ""),
        Fact("Bank", seller.get("bank_name") or ""),
    ]
    terms = [Fact("Amount", fmt.money(total, currency)), Fact("Due date", due), Fact("Reference", number)]
    account, terms = [fact for fact in account if fact.value], [fact for fact in terms if fact.value]
    if account:
        pdf.side_by_side(account, terms)
    else:  # no seller on record (an older document): the amount, due date and reference alone
        pdf.facts(MARGIN, terms, 30, 96)


def invoice_pdf(document: dict[str, Any], legal_name: str | None = None) -> bytes:
    """The invoice as an A4 PDF; `legal_name` names the buyer of a document stored before it carried `buyer`."""
    fmt = DocumentFormat.of(document.get("locale"))
    currency, number = document["currency"], document.get("invoice_number")
    title = f"Invoice {number}" if number else "Draft invoice"
    seller, buyer = document.get("seller") or {}, buyer_lines(document, legal_name)
    pdf = DocumentPdf(f"{title} · {buyer[0]}", footer_line(seller, title), fmt)
    pdf.add_page()
    pdf.parties("Invoice", number or "Draft (not issued)", seller_lines(seller), buyer)
    pdf.side_facts(_facts(document, fmt))
    if document.get("fx"):
        pdf.heading("Exchange rate")
        for line in _fx_lines(document, fmt):
            pdf.paragraph(line, 8.5)
    pdf.ln(3)
    headings, widths = _columns(document)
    pdf.lines_table(headings, widths, [_line_row(pdf, line, document, widths) for line in document["lines"]])
    pdf.amounts_box(
        [
            (f"Subtotal ({currency})", fmt.money(document["subtotal"], currency), False),
            (f"{tax_label(document, fmt)} ({currency})", fmt.money(document["tax"], currency), False),
            (f"Total ({currency})", fmt.money(document["total"], currency), True),
        ]
    )
    tax_table(pdf, document, document["subtotal"], document["tax"])
    notes = _notes(document, fmt)
    if notes:
        pdf.heading("Notes")
        for note in notes:
            pdf.paragraph(f"• {note}")
    _payment(pdf, document)
    subject = f"{title} for {buyer[0]}, service period {_period(document, fmt)}"
    return pdf.finish(title, seller.get("legal_name") or "", subject, date.fromisoformat(document["invoice_date"]))
