"""EN 16931 e-invoices (docs/domain.md, "E-invoices"): every generated CII XML validates against the Factur-X
EN 16931 XSD, states the document's figures, and ties out line by line."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import facturx
import pytest
from lxml import etree

from billing.adapters.e_invoice import EInvoiceUnavailable, credit_note_xml, invoice_xml
from billing.domain.billing_terms import REVERSE_CHARGE_NOTE
from bss.events.contracts.billing import InvoiceIssuedV1

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SELLER = {
    "legal_name": "Cloud Distribution GmbH",
    "country": "DE",
    "vat_id": "DE136695976",
    "address_lines": ["Hauptstrasse 1", "10115 Berlin"],
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "bank_name": "Commerzbank",
}


def chf_fx_invoice() -> dict[str, Any]:
    """The contract's example: CHF billed through FX from USD, with a commitment fee and late usage."""
    document = InvoiceIssuedV1.example().model_dump(mode="json")
    document["seller"] = dict(SELLER)
    for line in document["lines"]:
        if line["kind"] in ("usage", "adjustment"):
            pl = Decimal(line["quantity"]) * Decimal(line["unit_price"])
            line["price_list_amount"] = str(pl.quantize(Decimal("0.01")))
            line["unit"] = "GB" if "storage" in line["description"] else "workload"
    return document


def eur_reverse_charge_invoice() -> dict[str, Any]:
    document = chf_fx_invoice()
    document.update(
        currency="EUR",
        price_list_currency="EUR",
        fx=None,
        tax_rate="0",
        tax="0.00",
        tax_treatment="reverse_charge",
        tax_note=REVERSE_CHARGE_NOTE,
        buyer={
            "legal_name": "Nuage Services SARL",
            "country": "FR",
            "billing_address": {
                "lines": ["3 rue de la Paix"],
                "city": "Paris",
                "postal_code": "75002",
                "country": "FR",
            },
            "vat_id": "FR40303265045",
            "billing_email": "factures@nuage.example",
        },
        lines=[
            {
                "kind": "usage",
                "description": "Workstations",
                "sku": "SKU-WORKSTATION",
                "unit": "workload",
                "quantity": "232",
                "unit_price": "1.85",
                "price_list_amount": "429.20",
                "amount": "429.20",
                "original_period": None,
            },
            {
                "kind": "commitment_fee",
                "description": "Minimum Commitment Amount Fee",
                "sku": None,
                "quantity": None,
                "unit_price": None,
                "amount": "470.80",
                "original_period": None,
            },
            {
                "kind": "support_credit",
                "description": "SLA credit, ticket 4711",
                "sku": None,
                "quantity": None,
                "unit_price": None,
                "amount": "-45.00",
                "original_period": None,
            },
        ],
        usage_total="429.20",
        commitment="900.00",
        subtotal="855.00",
        total="855.00",
    )
    return document


def jpy_zero_rated_invoice() -> dict[str, Any]:
    document = eur_reverse_charge_invoice()
    document.update(
        currency="JPY",
        price_list_currency="JPY",
        tax_rate="0",
        tax="0",
        tax_treatment="standard",
        tax_note="Export of services: not subject to German VAT.",
        lines=[
            {
                "kind": "usage",
                "description": "Backup storage (GB)",
                "sku": "SKU-BACKUP-STORAGE-GB",
                "unit": "GB",
                "quantity": "31000.5",
                "unit_price": "5.2",
                "price_list_amount": "161203",
                "amount": "161203",
                "original_period": None,
            },
        ],
        usage_total="161203",
        commitment="150000",
        subtotal="161203",
        total="161203",
    )
    document["buyer"] = {**document["buyer"], "country": "JP", "vat_id": None, "billing_address": None}
    return document


def parsed(xml: bytes) -> Any:
    return etree.fromstring(xml)


def amounts(tree: Any, path: str) -> list[Decimal]:
    return [Decimal(node.text) for node in tree.findall(path, NS)]


@pytest.mark.parametrize(
    "document",
    [chf_fx_invoice(), eur_reverse_charge_invoice(), jpy_zero_rated_invoice()],
    ids=["chf-fx", "eur-reverse-charge", "jpy-zero-rated"],
)
def test_e_invoice_validates_against_the_en16931_xsd_and_states_the_documents_totals(document: dict[str, Any]) -> None:
    xml = invoice_xml(document)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(parsed(xml)) == "en16931"
    tree = parsed(xml)
    summation = (
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
        "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    )
    assert amounts(tree, f"{summation}/ram:LineTotalAmount") == [Decimal(document["subtotal"])]
    assert amounts(tree, f"{summation}/ram:TaxTotalAmount") == [Decimal(document["tax"])]
    assert amounts(tree, f"{summation}/ram:GrandTotalAmount") == [Decimal(document["total"])]
    line_totals = amounts(tree, ".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
    assert line_totals == [Decimal(line["amount"]) for line in document["lines"]]
    assert sum(line_totals) == Decimal(document["subtotal"])
    assert tree.findtext("rsm:ExchangedDocument/ram:ID", namespaces=NS) == document["invoice_number"]
    assert tree.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "380"


def test_e_invoice_line_price_times_quantity_is_the_line_amount_for_fx_lines() -> None:
    tree = parsed(invoice_xml(chf_fx_invoice()))
    for item in tree.iterfind(".//ram:IncludedSupplyChainTradeLineItem", NS):
        price = Decimal(item.findtext(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", namespaces=NS))
        basis = item.findtext(".//ram:NetPriceProductTradePrice/ram:BasisQuantity", namespaces=NS)
        quantity = Decimal(item.findtext(".//ram:BilledQuantity", namespaces=NS))
        total = Decimal(item.findtext(".//ram:LineTotalAmount", namespaces=NS))
        assert quantity * price / (Decimal(basis) if basis else 1) == total
    notes = [
        node.text for node in tree.iterfind(".//ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content", NS)
    ]
    assert "12000 GB x 0.0350 USD = 420.00 USD; x 0.8412 = 353.30 CHF" in notes
    assert any(note.startswith("Usage 714.34 CHF of a minimum commitment of 841.20 CHF") for note in notes)


def test_e_invoice_tax_category_follows_the_treatment() -> None:
    def category(document: dict[str, Any]) -> tuple[str | None, str | None]:
        tax = parsed(invoice_xml(document)).find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
        return tax.findtext("ram:CategoryCode", namespaces=NS), tax.findtext("ram:ExemptionReasonCode", namespaces=NS)

    assert category(chf_fx_invoice()) == ("S", None)
    assert category(eur_reverse_charge_invoice()) == ("AE", "VATEX-EU-AE")
    assert category(jpy_zero_rated_invoice()) == ("Z", None)


def test_e_invoice_pays_to_the_sellers_iban_by_sepa_credit_transfer() -> None:
    tree = parsed(invoice_xml(chf_fx_invoice()))
    means = tree.find(".//ram:SpecifiedTradeSettlementPaymentMeans", NS)
    assert means.findtext("ram:TypeCode", namespaces=NS) == "58"
    assert means.findtext(".//ram:IBANID", namespaces=NS) == SELLER["iban"]
    assert (
        tree.findtext(".//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString", namespaces=NS)
        == "20240131"
    )


def test_credit_note_e_invoice_is_type_381_referencing_its_invoice() -> None:
    invoice = eur_reverse_charge_invoice()
    note = {
        "credit_note_number": "CN-2024-000007",
        "issued_on": "2024-02-10",
        "lines": [{"description": "Goodwill credit for January", "amount": "100.00"}],
        "subtotal": "100.00",
        "tax": "0.00",
        "total": "100.00",
        "reason": "Goodwill",
    }
    xml = credit_note_xml(note, invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = parsed(xml)
    assert tree.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert (
        tree.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS)
        == invoice["invoice_number"]
    )
    assert amounts(tree, ".//ram:GrandTotalAmount") == [Decimal("100.00")]


def test_e_invoice_needs_the_seller_and_a_number() -> None:
    without_seller = copy.deepcopy(chf_fx_invoice())
    without_seller["seller"] = None
    with pytest.raises(EInvoiceUnavailable, match="seller"):
        invoice_xml(without_seller)
    draft = chf_fx_invoice()
    draft["invoice_number"] = None
    with pytest.raises(EInvoiceUnavailable, match="draft"):
        invoice_xml(draft)
