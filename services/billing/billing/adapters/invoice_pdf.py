"""An invoice as PDF (fpdf2, core fonts): the same document as the JSON and CSV renderings."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF


def _latin1(text: object) -> str:
    """Core PDF fonts are Latin-1; anything else prints as '?' rather than failing the download."""
    return str(text if text is not None else "").encode("latin-1", "replace").decode("latin-1")


def _address_lines(address: dict[str, Any] | None) -> list[str]:
    if not address:
        return []
    city = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
    return [
        *address.get("lines", []),
        city,
        *([address["region"]] if address.get("region") else []),
        address["country"],
    ]


def invoice_pdf(document: dict[str, Any], legal_name: str | None = None) -> bytes:
    """One page per invoice: header, lines (quantity, unit price, amount), subtotal, tax and total."""
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"Invoice {document.get('invoice_number') or '(draft)'}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    buyer = document.get("buyer") or {}
    facts = [("Billed to", buyer.get("legal_name") or legal_name or document["reseller_id"])]
    facts += [("", line) for line in _address_lines(buyer.get("billing_address"))]
    if buyer.get("vat_id"):
        facts.append(("VAT id", buyer["vat_id"]))
    facts += [
        ("Subscription", document["subscription_id"]),
        ("Product", document["tier"]),
        ("Billing period", document["billing_period"]),
        ("Invoice date", document["invoice_date"]),
    ]
    if document.get("due_date"):
        facts.append(("Due date", f"{document['due_date']} ({document['payment_terms_days']} days net)"))
    facts.append(("Currency", document["currency"]))
    if document.get("fx"):
        fx = document["fx"]
        facts.append(("FX rate", f"{fx['rate']} {document['currency']} per {document['price_list_currency']}"))
        for leg in fx.get("legs") or []:  # each rate used and its date
            facts.append(("", f"{leg['from']} -> {leg['to']}: {leg['rate']}, rates of {leg['effective_from']}"))
    for label, value in facts:
        pdf.cell(40, 6, _latin1(label))
        pdf.cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (80, 30, 30, 40)
    pdf.set_font("Helvetica", "B", 10)
    for width, title in zip(widths, ("Description", "Quantity", "Unit price", "Amount"), strict=True):
        pdf.cell(width, 7, title, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for line in document["lines"]:
        description = line["description"]
        if line.get("original_period"):
            description = f"{description} (period {line['original_period']})"
        cells = (description, line.get("quantity") or "", line.get("unit_price") or "", line["amount"])
        for width, value, align in zip(widths, cells, ("L", "R", "R", "R"), strict=True):
            pdf.cell(width, 6, _latin1(value)[:60], align=align)
        pdf.ln()
    pdf.ln(2)
    titles = {"subtotal": "Subtotal", "tax": f"Tax {document['tax_rate']} %", "total": "Total"}
    for label, title in titles.items():
        pdf.set_font("Helvetica", "B" if label == "total" else "", 10)
        pdf.cell(sum(widths[:3]), 6, _latin1(title), align="R")
        pdf.cell(widths[3], 6, _latin1(f"{document[label]} {document['currency']}"), align="R")
        pdf.ln()
    if document.get("tax_note"):  # the legal note of the tax treatment (reverse charge, not subject to VAT)
        pdf.ln(2)
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(sum(widths), 5, _latin1(document["tax_note"]))
    return bytes(pdf.output())
