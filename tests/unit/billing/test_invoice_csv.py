"""The invoice and credit note CSVs an accountant imports (billing/adapters/invoice_documents.py, invoice_csv;
credit_note_documents.py): one header, every row the same columns, the line amounts adding up to the subtotal and
subtotal + tax to the total, read back with the csv module."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from billing.adapters.credit_note_documents import CREDIT_NOTE_CSV_COLUMNS, credit_note_csv
from billing.adapters.invoice_documents import CSV_COLUMNS, invoice_csv
from bss.events.contracts.billing import InvoiceIssuedV1
from tests.unit.billing import invoice_samples as samples

D = Decimal
DOCUMENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "usd": samples.usd_invoice,
    "eur-reverse-charge": samples.eur_reverse_charge_invoice,
    "jpy": samples.jpy_invoice,
    "chf-fx": samples.chf_fx_invoice,
    "long": samples.long_invoice,
    "contract-example": lambda: InvoiceIssuedV1.example().model_dump(mode="json"),
}
SUMMARY_KINDS = ("subtotal", "tax", "total")


def read(text: str) -> tuple[list[str], list[dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert {len(row) for row in body} == {len(header)}, "every row has the header's columns"
    return header, [dict(zip(header, row, strict=True)) for row in body]


def one(rows: list[dict[str, str]], kind: str) -> D:
    [row] = [row for row in rows if row["kind"] == kind]
    return D(row["amount"])


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_line_amounts_add_up_to_the_subtotal_and_subtotal_plus_tax_to_the_total(name: str) -> None:
    document = DOCUMENTS[name]()
    header, rows = read(invoice_csv(document))
    assert tuple(header) == CSV_COLUMNS
    lines = [row for row in rows if row["kind"] not in SUMMARY_KINDS]
    assert len(lines) == len(document["lines"])
    assert sum((D(row["amount"]) for row in lines), D(0)) == one(rows, "subtotal") == D(document["subtotal"])
    assert one(rows, "subtotal") + one(rows, "tax") == one(rows, "total") == D(document["total"])
    assert [row["kind"] for row in rows[-3:]] == list(SUMMARY_KINDS)


def test_each_row_repeats_the_invoice_number_dates_currencies_and_rate() -> None:
    document = samples.chf_fx_invoice()
    _, rows = read(invoice_csv(document))
    invoice_columns = ("invoice_number", "invoice_date", "due_date", "billing_period", "currency")
    assert {tuple(row[column] for column in invoice_columns) for row in rows} == {
        ("INV-2024-000104", "2024-06-01", "2024-07-01", "2024-05-01", "CHF")
    }
    assert {(row["price_list_currency"], row["fx_rate"]) for row in rows} == {("USD", "0.90131915")}
    servers = rows[0]
    assert (servers["sku"], servers["unit"], servers["quantity"], servers["unit_price"]) == (
        "CSP-SERVERS",
        "workload",
        "12",
        "28.00",
    )
    assert (servers["price_list_amount"], servers["amount"]) == ("336.00", "302.84")
    late = [row for row in rows if row["kind"] == "adjustment"]
    assert [row["original_period"] for row in late] == ["2024-04-01"]


def test_the_tax_row_names_its_rate_and_treatment() -> None:
    _, rows = read(invoice_csv(samples.eur_reverse_charge_invoice()))
    assert [row["description"] for row in rows if row["kind"] == "tax"] == ["Tax 0 % (reverse charge)"]


def test_a_draft_has_an_empty_number_and_an_old_document_empty_cells_for_what_it_lacks() -> None:
    document = {**samples.usd_invoice(), "invoice_number": None}
    for key in ("due_date", "seller", "buyer", "locale"):
        del document[key]
    for line in document["lines"]:
        line.pop("unit", None)
        line.pop("price_list_amount", None)
    _, rows = read(invoice_csv(document))
    assert {(row["invoice_number"], row["due_date"], row["unit"], row["fx_rate"]) for row in rows} == {("", "", "", "")}


def test_a_description_a_spreadsheet_would_run_as_a_formula_is_kept_as_text() -> None:
    document = samples.usd_invoice()
    document["lines"][0] = {**document["lines"][0], "description": '=HYPERLINK("http://x")'}
    _, rows = read(invoice_csv(document))
    assert rows[0]["description"] == '\'=HYPERLINK("http://x")'
    assert [row["amount"] for row in rows if row["kind"] == "support_charge"] == ["45.00"]


def test_credit_note_csv_has_its_lines_then_subtotal_tax_and_total_with_the_same_columns() -> None:
    invoice = samples.chf_fx_invoice()
    note = {**samples.credit_note(invoice)}
    header, rows = read(credit_note_csv(note, invoice))
    assert tuple(header) == CREDIT_NOTE_CSV_COLUMNS
    credits = [row for row in rows if row["kind"] == "credit"]
    assert [row["description"] for row in credits] == [line["description"] for line in note["lines"]]
    assert {(row["credit_note_number"], row["invoice_number"], row["currency"]) for row in rows} == {
        ("CN-2024-000007", "INV-2024-000104", "CHF")
    }
    assert sum((D(row["amount"]) for row in credits), D(0)) == one(rows, "subtotal") == D("184.00")
    assert one(rows, "subtotal") + one(rows, "tax") == one(rows, "total") == D(note["total"])
    assert one(rows, "tax") == D("14.90")  # 8.1 % of 184.00, the invoice's rate
