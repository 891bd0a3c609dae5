"""The invoice and credit note PDFs an accountant reads (billing/adapters/invoice_pdf.py, credit_note_documents.py):
both parties, every figure in the buyer's locale, the due date and terms, the FX rates, the tax and its legal note,
the payment details, the table header repeated on every page; embedded DejaVu fonts and the document's metadata.

The first page of each sample is saved as a PNG under var/test-artifacts/invoices/ (with pdftoppm, when installed)
for people to look at."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from billing.adapters.credit_note_documents import credit_note_pdf
from billing.adapters.document_format import DocumentFormat
from billing.adapters.document_pdf import FONT_DIR, iban_groups
from billing.adapters.invoice_pdf import invoice_pdf
from bss.events.contracts.billing import InvoiceIssuedV1
from tests.unit.billing import invoice_samples as samples

ARTIFACTS = Path(__file__).resolve().parents[3] / "var" / "test-artifacts" / "invoices"
PYPROJECT = FONT_DIR.parents[1] / "pyproject.toml"


def pages(pdf: bytes) -> list[str]:
    """Each page's text, with no-break spaces as plain ones (the PDF keeps them; text extraction varies)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [_plain(page.extract_text()) for page in reader.pages]


def _plain(text: str) -> str:
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


def text_of(pdf: bytes) -> str:
    return "\n".join(pages(pdf))


def figures(document: dict[str, Any]) -> list[str]:
    """Every figure of the document as its locale prints it: line amounts, unit prices, quantities, totals."""
    fmt = DocumentFormat.of(document.get("locale"))
    currency, price_list = document["currency"], document["price_list_currency"]
    shown = [fmt.money(document[key], currency) for key in ("subtotal", "tax", "total")]
    for line in document["lines"]:
        shown.append(fmt.amount(line["amount"], currency))
        if line.get("unit_price"):
            shown.append(fmt.unit_price(line["unit_price"], price_list))
            shown.append(fmt.quantity(line["quantity"]))
        if document.get("fx") and line.get("price_list_amount"):
            shown.append(fmt.amount(line["price_list_amount"], price_list))
    return [_plain(figure) for figure in shown]


def assert_shows(text: str, *expected: str) -> None:
    flat = text.replace("\n", " ")
    missing = [item for item in expected if _plain(item) not in flat]
    assert missing == [], f"not on the invoice: {missing}"


def test_usd_invoice_names_both_parties_terms_every_figure_and_how_to_pay() -> None:
    document = samples.usd_invoice()
    text = text_of(invoice_pdf(document))
    assert_shows(
        text,
        "Invoice",
        "INV-2024-000101",
        "Cloud Distribution GmbH",
        "Hauptstrasse 1",
        "VAT id DE136695976",
        "Bill to",
        "Northwind Backup LLC",
        "500 Congress Avenue",
        "Austin, TX 78701",
        "United States",
        "Invoice date Jun 1, 2024",
        "Due date Jul 1, 2024 (30 days net)",
        "Service period May 1, 2024 – May 31, 2024",
        "Product Tier 2",
        "Unit price (USD)",
        "Amount (USD)",
        "12,000.5 GB",
        "0.0528",
        "Subtotal (USD) $4,545.00",
        "Total (USD) $4,545.00",
        "Not subject to German VAT",
        "usage $3,717.03 of a minimum commitment of $4,500.00: fee $782.97",
        "IBAN DE89 3704 0044 0532 0130 00",
        "BIC COBADEFFXXX",
        "Bank Commerzbank",
        "Reference INV-2024-000101",
        "Please pay $4,545.00 by Jul 1, 2024",
    )
    assert_shows(text, *figures(document))


def test_reverse_charge_invoice_shows_both_vat_ids_zero_rate_and_the_article_196_note() -> None:
    document = samples.eur_reverse_charge_invoice()
    text = text_of(invoice_pdf(document))
    assert_shows(
        text,
        "Wolkenwerk Datensicherung GmbH",
        "Mariahilfer Straße 101",
        "1060 Wien",
        "VAT id ATU13585627",
        "VAT id DE136695976",
        "Due date 01.07.2024 (30 days net)",
        "VAT 0 %, reverse charge (EUR) € 0,00",
        "Reverse charge 0 % 3.734,45 0,00",
        "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)",
        "Total (EUR) € 3.734,45",
        "reaches the minimum commitment of € 1.000,00: no commitment fee",
    )
    assert_shows(text, *figures(document))


def test_jpy_invoice_groups_yen_without_decimals_and_explains_the_ramp_up() -> None:
    document = samples.jpy_invoice()
    text = text_of(invoice_pdf(document))
    # ja-JP writes the fullwidth yen sign, which DejaVu lacks: the PDF prints its compatibility form ¥
    assert_shows(text, "Total (JPY) ¥177,673", "84,000", "2,381.65 GB", "9.1", "Due date 2024/07/01 (30 days net)")
    assert_shows(text, "Ramp-up period: no commitment fee (the minimum commitment of ¥450,000")
    assert_shows(text, *(figure.replace("￥", "¥") for figure in figures(document)))


def test_fx_invoice_shows_the_rate_each_leg_with_date_and_table_and_both_amount_columns() -> None:
    document = samples.chf_fx_invoice()
    text = text_of(invoice_pdf(document))
    assert_shows(
        text,
        "Currency CHF (prices in USD)",
        f"1 USD = 0.90131915 CHF, rates effective 31.05.2024, FX table {samples.TABLE_EUR_CHF}",
        f"Leg 1 of 2: 1 USD = 0.9215 EUR, effective 28.05.2024, FX table {samples.TABLE_USD_EUR}",
        f"Leg 2 of 2: 1 EUR = 0.9781 CHF, effective 31.05.2024, FX table {samples.TABLE_EUR_CHF}",
        "Amount (USD) Amount (CHF)",
        "12 workload 28.00 336.00 302.84",
        "Total (CHF) CHF 1'974.37",
        "Adjustment: late usage of 01.04.2024 – 30.04.2024",
    )
    assert_shows(text, *figures(document))


def test_the_contract_example_renders_with_its_buyer_and_rate() -> None:
    document = InvoiceIssuedV1.example().model_dump(mode="json")
    text = text_of(invoice_pdf(document))
    assert_shows(text, "Alpenwolke IT AG", "1 USD = 0.8412 CHF", "Total (CHF) CHF 925.25", "Due date 31.01.2024")
    assert "Payment" in text  # no seller on record: no bank details, still the amount, date and reference


def test_long_invoice_breaks_pages_and_repeats_the_table_header_on_each() -> None:
    document = samples.long_invoice()
    assert len(document["lines"]) == 60
    shown = pages(invoice_pdf(document))
    assert len(shown) >= 3
    for number, page in enumerate(shown[1:-1], 2):
        assert "Description Quantity Unit price (EUR) Amount (EUR)" in page, f"no table header on page {number}"
        assert "Invoice INV-2024-000105 · Müller & Söhne Datensicherung GmbH & Co. KG" in page
    assert f"Page 1 of {len(shown)}" in shown[0]
    assert_shows("\n".join(shown), *figures(document), "Total (EUR) 15.485,42 €", "Due date 15.06.2024 (14 days net)")
    assert_shows("\n".join(shown), "Adjustment: late usage of 01.03.2024 – 31.03.2024")


def test_credit_note_has_the_invoice_parties_locale_tax_and_what_it_corrects() -> None:
    invoice = samples.eur_reverse_charge_invoice()
    note = samples.credit_note(invoice)
    text = text_of(credit_note_pdf(note, invoice))
    assert_shows(
        text,
        "Credit note",
        "CN-2024-000007",
        "Cloud Distribution GmbH",
        "Wolkenwerk Datensicherung GmbH",
        "VAT id ATU13585627",
        "Credit note date 10.06.2024",
        "Corrects invoice INV-2024-000102 of 01.06.2024",
        "Duplicate workstation report from the usage collector",
        "Workstations counted twice on 2024-05-14",
        "64,00",
        "120,00",
        "Total credited (EUR) € 184,00",
        "Reverse charge: VAT to be accounted for by the recipient",
        "corrects invoice INV-2024-000102",
    )


def test_an_old_document_without_parties_locale_or_terms_renders_with_the_fallback_name() -> None:
    document = samples.usd_invoice()
    for key in ("seller", "buyer", "locale", "due_date", "payment_terms_days", "service_period_end"):
        del document[key]
    del document["tax_treatment"], document["tax_note"]
    for line in document["lines"]:
        line.pop("unit", None)
        line.pop("price_list_amount", None)
    text = text_of(invoice_pdf(document, "Northwind (as registered)"))
    assert_shows(text, "Bill to Northwind (as registered)", "Service period May 1, 2024 – May 31, 2024")
    assert_shows(text, "Total (USD) $4,545.00", "Reference INV-2024-000101")
    assert "Due date" not in text
    nameless = text_of(invoice_pdf(document))
    assert_shows(nameless, f"Reseller {document['reseller_id']}")


def test_an_old_fx_document_without_legs_prints_the_rate_alone() -> None:
    document = samples.chf_fx_invoice()
    document["fx"] = {key: document["fx"][key] for key in ("rate", "rate_table_id", "effective_from")}
    text = text_of(invoice_pdf(document))
    assert_shows(text, "1 USD = 0.90131915 CHF")
    assert "Leg 1" not in text


def test_a_draft_is_titled_draft_and_not_payable() -> None:
    document = {**samples.usd_invoice(), "invoice_number": None}
    text = text_of(invoice_pdf(document))
    assert_shows(text, "Draft (not issued)", "not issued yet and is not to be paid")
    assert "IBAN" not in text


def test_greek_and_cyrillic_names_print_as_written() -> None:
    document = samples.eur_reverse_charge_invoice()
    document["buyer"] = {**document["buyer"], "legal_name": "Νέφος Υπηρεσίες Α.Ε."}
    document["lines"][0] = {**document["lines"][0], "description": "Резервное копирование серверов"}
    text = text_of(invoice_pdf(document))
    assert_shows(text, "Νέφος Υπηρεσίες Α.Ε.", "Резервное копирование серверов")


def test_a_name_in_a_script_dejavu_lacks_still_renders_the_invoice() -> None:
    document = samples.jpy_invoice()
    document["buyer"] = {**document["buyer"], "legal_name": "さくらクラウド株式会社"}
    assert invoice_pdf(document).startswith(b"%PDF")  # the glyphs are missing (no CJK font), the invoice is not


def test_fonts_are_embedded_dejavu_and_metadata_names_the_invoice() -> None:
    reader = PdfReader(io.BytesIO(invoice_pdf(samples.chf_fx_invoice())))
    fonts = {
        font.get_object()["/BaseFont"]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert fonts
    assert all("DejaVuSans" in name for name in fonts)
    descendant = next(iter(reader.pages[0]["/Resources"]["/Font"].values())).get_object()  # type: ignore[index]
    assert "/FontFile2" in descendant["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    meta = reader.metadata
    assert meta is not None
    assert (meta.title, meta.author) == ("Invoice INV-2024-000104", "Cloud Distribution GmbH")
    assert meta.subject == "Invoice INV-2024-000104 for Alpenwolke IT AG, service period 01.05.2024 – 31.05.2024"
    assert meta.creation_date == datetime(2024, 6, 1, tzinfo=UTC)
    assert str(reader.root_object["/Lang"]) == "de-CH"


def test_iban_prints_in_groups_of_four() -> None:
    assert iban_groups("DE89370400440532013000") == "DE89 3704 0044 0532 0130 00"
    assert iban_groups("ch93 0076 2011 6238 5295 7") == "CH93 0076 2011 6238 5295 7"


def test_the_fonts_and_their_license_ship_in_the_wheel() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["billing"]
    package = FONT_DIR.parent
    files = sorted(path.relative_to(package) for path in FONT_DIR.iterdir())
    assert [str(path) for path in files] == ["fonts/DejaVuSans-Bold.ttf", "fonts/DejaVuSans.ttf", "fonts/LICENSE"]
    assert all(any(path.match(pattern) for pattern in patterns) for path in files), patterns
    assert "Bitstream Vera" in (FONT_DIR / "LICENSE").read_text()


SAMPLES: dict[str, Callable[[], bytes]] = {
    "a-usd": lambda: invoice_pdf(samples.usd_invoice()),
    "b-eur-reverse-charge": lambda: invoice_pdf(samples.eur_reverse_charge_invoice()),
    "c-jpy": lambda: invoice_pdf(samples.jpy_invoice()),
    "d-chf-fx-two-legs": lambda: invoice_pdf(samples.chf_fx_invoice()),
    "e-long-60-lines": lambda: invoice_pdf(samples.long_invoice()),
    "f-credit-note": lambda: credit_note_pdf(
        samples.credit_note(samples.eur_reverse_charge_invoice()), samples.eur_reverse_charge_invoice()
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_first_page_is_saved_as_a_png_for_people_to_look_at(name: str, tmp_path: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: no PNG artifact")
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(SAMPLES[name]())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / name
    subprocess.run(
        [pdftoppm, "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(source), str(target)],
        check=True,
        timeout=60,
    )
    png = target.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
