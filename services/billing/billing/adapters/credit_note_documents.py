"""A credit note as PDF and CSV, with the same content and layout as its invoice's.

A credit note's document (the `CreditNoteIssued.v1` shape) holds its number, date, lines, amounts and reason; the
parties, the locale and the tax (rate, treatment, legal note) are those of the invoice it corrects, which never
changes once issued, so both renderers take the corrected invoice's document too.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from billing.adapters.document_format import DocumentFormat, spreadsheet_text
from billing.adapters.document_pdf import (
    DocumentPdf,
    Fact,
    buyer_lines,
    footer_line,
    last_day_of_month,
    seller_lines,
    tax_label,
    tax_table,
)

CREDIT_NOTE_CSV_COLUMNS = (
    "credit_note_number",
    "credit_note_date",
    "invoice_number",
    "currency",
    "kind",
    "description",
    "sku",
    "ticket_id",
    "amount",
)


def credit_note_csv(note: dict[str, Any], invoice: dict[str, Any]) -> str:
    """One row per credited line (kind `credit`), then rows of kind `subtotal`, `tax` and `total`, all with the
    same columns. Amounts are the credited ones, positive, in the invoice currency (decimal strings); the lines
    add up to the subtotal and subtotal + tax is the total."""
    head = {
        "credit_note_number": note["credit_note_number"],
        "credit_note_date": note["issued_on"],
        "invoice_number": note.get("invoice_number") or invoice.get("invoice_number") or "",
        "currency": note["currency"],
    }
    rate = invoice.get("tax_rate") or "0"
    treatment = "reverse charge" if invoice.get("tax_treatment") == "reverse_charge" else "standard"
    rows = [{**line, "kind": "credit"} for line in note["lines"]]
    rows += [
        {"kind": "subtotal", "description": "Subtotal", "amount": note["subtotal"]},
        {"kind": "tax", "description": f"Tax {rate} % ({treatment})", "amount": note["tax"]},
        {"kind": "total", "description": "Total credited", "amount": note["total"]},
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CREDIT_NOTE_CSV_COLUMNS)
    for row in rows:
        cells = {**head, **{column: spreadsheet_text(row.get(column)) for column in CREDIT_NOTE_CSV_COLUMNS[4:]}}
        writer.writerow([cells[column] for column in CREDIT_NOTE_CSV_COLUMNS])
    return out.getvalue()


def _facts(note: dict[str, Any], invoice: dict[str, Any], fmt: DocumentFormat) -> list[Fact]:
    corrected = note.get("invoice_number") or invoice.get("invoice_number") or ""
    if invoice.get("invoice_date"):
        corrected = f"{corrected} of {fmt.day(invoice['invoice_date'])}"
    rows = [Fact("Credit note date", fmt.day(note["issued_on"])), Fact("Corrects invoice", corrected)]
    if invoice.get("billing_period"):
        first = date.fromisoformat(invoice["billing_period"])
        end = invoice.get("service_period_end") or last_day_of_month(first).isoformat()
        rows.append(Fact("Service period", f"{fmt.day(first)} – {fmt.day(end)}"))
    if invoice.get("tier"):
        rows.append(Fact("Product", invoice["tier"]))
    rows.append(Fact("Currency", note["currency"]))
    rows.append(Fact("Subscription", note.get("subscription_id") or "", 7))
    return rows


def credit_note_pdf(note: dict[str, Any], invoice: dict[str, Any], legal_name: str | None = None) -> bytes:
    """The credit note as an A4 PDF: the invoice's parties and locale, the credited lines, subtotal, tax at the
    invoice's rate and treatment, total credited, and what it settles; `legal_name` as for `invoice_pdf`."""
    fmt = DocumentFormat.of(invoice.get("locale"))
    currency, number = note["currency"], note["credit_note_number"]
    title = f"Credit note {number}"
    seller, buyer = invoice.get("seller") or {}, buyer_lines({**invoice, **note}, legal_name)
    pdf = DocumentPdf(f"{title} · {buyer[0]}", footer_line(seller, title), fmt)
    pdf.add_page()
    pdf.parties("Credit note", number, seller_lines(seller), buyer, to="Credit to")
    pdf.side_facts(_facts(note, invoice, fmt))
    pdf.heading("Reason")
    pdf.paragraph(note["reason"])
    pdf.ln(3)
    rows = [
        [
            f"{line['description']}\n{line['sku']}" if line.get("sku") else line["description"],
            fmt.amount(line["amount"], currency),
        ]
        for line in note["lines"]
    ]
    pdf.lines_table(["Description", f"Credited ({currency})"], [136, 38], rows)
    pdf.amounts_box(
        [
            (f"Subtotal ({currency})", fmt.money(note["subtotal"], currency), False),
            (f"{tax_label(invoice, fmt)} ({currency})", fmt.money(note["tax"], currency), False),
            (f"Total credited ({currency})", fmt.money(note["total"], currency), True),
        ]
    )
    tax_table(pdf, {**invoice, "currency": currency}, note["subtotal"], note["tax"])
    pdf.heading("Settlement")
    corrected = note.get("invoice_number") or invoice.get("invoice_number") or ""
    pdf.paragraph(
        f"The credited total of {fmt.money(note['total'], currency)} corrects invoice {corrected}: it reduces what "
        f"that invoice charges by this amount. Reference: {number}."
    )
    subject = f"{title} for {buyer[0]}, correcting invoice {corrected}"
    return pdf.finish(title, seller.get("legal_name") or "", subject, date.fromisoformat(note["issued_on"]))
