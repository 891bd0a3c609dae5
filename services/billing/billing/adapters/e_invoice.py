"""Invoices and credit notes as EN 16931 e-invoices: the UN/CEFACT Cross Industry Invoice (CII D16B) of the
Factur-X / ZUGFeRD EN 16931 profile, built from the issued document (docs/domain.md, "E-invoices").

The XML states what the document states, in the invoice currency: each line's net amount is the document's
amount. A line billed through FX carries its price as "amount per quantity" (BT-146 with the price base quantity
BT-149 = the quantity), so quantity x price = amount exactly, and a note with the price-list figures and the rate
(the converted amount is not the quantity times a rounded converted unit price). Validated against the profile's
XSD shipped with `factur-x` (tests); the Schematron rules need an XSLT 2 processor and are not run here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import facturx

from bss.events.contracts.value_types import decimal_text

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
EN16931 = "urn:cen.eu:en16931:2017"
"""The specification identifier (BT-24) of the Factur-X / ZUGFeRD EN 16931 (Comfort) profile."""
INVOICE, CREDIT_NOTE = "380", "381"
SEPA_CREDIT_TRANSFER = "58"
UNIT_CODES = {"GB": "E34", "TB": "E35", "MB": "4L"}
"""UN/ECE Recommendation 20 codes of the units SKUs count in; anything else counts pieces (C62, "one")."""

for _prefix, _uri in (("rsm", RSM), ("ram", RAM), ("qdt", QDT), ("udt", UDT)):
    ET.register_namespace(_prefix, _uri)


class EInvoiceUnavailable(Exception):
    """The document lacks what an EN 16931 invoice must state (the seller, a number); the message says what."""


def invoice_xml(document: Mapping[str, Any]) -> bytes:
    """The CII XML of an issued invoice (`InvoiceIssued.v1` document)."""
    return _cross_industry_invoice(document, INVOICE, document["lines"], referenced_invoice=None)


def credit_note_xml(credit_note: Mapping[str, Any], invoice: Mapping[str, Any]) -> bytes:
    """The CII XML of a credit note: the corrected invoice's parties and tax, the credit note's lines and totals
    (positive amounts, type 381), and a reference to the invoice it corrects (BT-25)."""
    document = {
        **invoice,
        "invoice_number": credit_note["credit_note_number"],
        "invoice_date": credit_note["issued_on"],
        "subtotal": credit_note["subtotal"],
        "tax": credit_note["tax"],
        "total": credit_note["total"],
        "note": credit_note.get("reason"),
        "due_date": None,
        "payment_terms_days": None,
    }
    lines = [
        {"kind": "credit", "description": line["description"], "amount": line["amount"]}
        for line in credit_note["lines"]
    ]
    return _cross_industry_invoice(document, CREDIT_NOTE, lines, referenced_invoice=invoice)


def pdf_with_e_invoice(pdf: bytes, xml: bytes, *, title: str, author: str) -> bytes:
    """The PDF with its CII XML embedded as `factur-x.xml` and the Factur-X XMP metadata (PDF/A-3, level
    EN 16931), as German and French buyers' software reads it."""
    metadata = {"author": author, "keywords": "Factur-X, Invoice", "title": title, "subject": title}
    embedded = facturx.generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=False, pdf_metadata=metadata, lang="en"
    )
    return bytes(embedded)


def _cross_industry_invoice(
    document: Mapping[str, Any],
    type_code: str,
    lines: Sequence[Mapping[str, Any]],
    *,
    referenced_invoice: Mapping[str, Any] | None,
) -> bytes:
    seller = document.get("seller")
    if not seller:
        raise EInvoiceUnavailable(
            "no seller on the document: the distributor's seller setting (legal name, address, VAT id) was not set "
            "when it was issued (PUT /v1/settings/seller/distributor)"
        )
    number = document.get("invoice_number")
    if not number:
        raise EInvoiceUnavailable("a draft has no number; e-invoices are issued documents")
    currency = document["currency"]
    tax = _tax_category(document)
    root = ET.Element(_rsm("CrossIndustryInvoice"))
    context = ET.SubElement(root, _rsm("ExchangedDocumentContext"))
    _text(ET.SubElement(context, _ram("GuidelineSpecifiedDocumentContextParameter")), "ID", EN16931)
    header = ET.SubElement(root, _rsm("ExchangedDocument"))
    _text(header, "ID", number)
    _text(header, "TypeCode", type_code)
    _date(ET.SubElement(header, _ram("IssueDateTime")), document["invoice_date"])
    for note in _notes(document):
        _text(ET.SubElement(header, _ram("IncludedNote")), "Content", note)

    transaction = ET.SubElement(root, _rsm("SupplyChainTradeTransaction"))
    for index, line in enumerate(lines, start=1):
        _line(transaction, index, line, document, tax)
    agreement = ET.SubElement(transaction, _ram("ApplicableHeaderTradeAgreement"))
    _party(agreement, "SellerTradeParty", seller["legal_name"], _seller_address(seller), seller.get("vat_id"))
    buyer = document.get("buyer") or {}
    _party(
        agreement,
        "BuyerTradeParty",
        buyer.get("legal_name") or document["reseller_id"],
        _buyer_address(buyer),
        buyer.get("vat_id"),
    )
    ET.SubElement(transaction, _ram("ApplicableHeaderTradeDelivery"))
    _settlement(transaction, document, currency, tax, referenced_invoice)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _tax_category(document: Mapping[str, Any]) -> dict[str, str | None]:
    """The VAT category (UNCL 5305) of the document's one rate: S standard, AE reverse charge, Z zero rated."""
    rate = Decimal(document["tax_rate"])
    if document.get("tax_treatment") == "reverse_charge":
        return {
            "code": "AE",
            "rate": "0",
            "reason": document.get("tax_note") or "Reverse charge",
            "reason_code": "VATEX-EU-AE",
        }
    if rate == 0:
        return {"code": "Z", "rate": "0", "reason": document.get("tax_note"), "reason_code": None}
    return {"code": "S", "rate": decimal_text(rate), "reason": None, "reason_code": None}


def _notes(document: Mapping[str, Any]) -> list[str]:
    notes = []
    if document.get("note"):
        notes.append(str(document["note"]))
    fx = document.get("fx")
    if fx:
        legs = "; ".join(
            f"{leg['from']}->{leg['to']} {leg['rate']} ({leg['effective_from']})" for leg in fx.get("legs") or []
        )
        notes.append(
            f"Rated in {document['price_list_currency']}, converted to {document['currency']} at {fx['rate']}"
            + (f": {legs}" if legs else "")
        )
    if document.get("ramp_up_applied"):
        notes.append("Ramp-up period: no minimum commitment fee.")
    return notes


def _line(
    transaction: ET.Element,
    index: int,
    line: Mapping[str, Any],
    document: Mapping[str, Any],
    tax: Mapping[str, str | None],
) -> None:
    item = ET.SubElement(transaction, _ram("IncludedSupplyChainTradeLineItem"))
    line_doc = ET.SubElement(item, _ram("AssociatedDocumentLineDocument"))
    _text(line_doc, "LineID", str(index))
    amount = Decimal(line["amount"])
    quantity = Decimal(line["quantity"]) if line.get("quantity") is not None else Decimal(1)
    if amount < 0:  # a credit: a negative quantity at a positive price (BR-27: no negative price)
        quantity = -quantity
    note = _line_note(line, document)
    if note:
        _text(ET.SubElement(line_doc, _ram("IncludedNote")), "Content", note)
    product = ET.SubElement(item, _ram("SpecifiedTradeProduct"))
    if line.get("sku"):
        _text(product, "SellerAssignedID", line["sku"])
    _text(product, "Name", line["description"])
    agreement = ET.SubElement(item, _ram("SpecifiedLineTradeAgreement"))
    price = ET.SubElement(agreement, _ram("NetPriceProductTradePrice"))
    unit = UNIT_CODES.get(line.get("unit") or "", "C62")
    same_currency = document.get("fx") is None
    if line.get("unit_price") is not None and same_currency:
        _text(price, "ChargeAmount", line["unit_price"])
    else:  # the line's amount per its quantity: quantity x price = amount, exactly
        _text(price, "ChargeAmount", decimal_text(abs(amount)))
        ET.SubElement(price, _ram("BasisQuantity"), unitCode=unit).text = decimal_text(abs(quantity))
    delivery = ET.SubElement(item, _ram("SpecifiedLineTradeDelivery"))
    ET.SubElement(delivery, _ram("BilledQuantity"), unitCode=unit).text = decimal_text(quantity)
    settlement = ET.SubElement(item, _ram("SpecifiedLineTradeSettlement"))
    _tax(settlement, tax)
    if line.get("original_period"):
        period = ET.SubElement(settlement, _ram("BillingSpecifiedPeriod"))
        start = date.fromisoformat(line["original_period"])
        _date(ET.SubElement(period, _ram("StartDateTime")), start.isoformat())
    summation = ET.SubElement(settlement, _ram("SpecifiedTradeSettlementLineMonetarySummation"))
    _text(summation, "LineTotalAmount", line["amount"])


def _line_note(line: Mapping[str, Any], document: Mapping[str, Any]) -> str | None:
    if line.get("kind") == "commitment_fee":
        return (
            f"Usage {document['usage_total']} {document['currency']} of a minimum commitment of "
            f"{document['commitment']} {document['currency']}"
        )
    fx = document.get("fx")
    if fx and line.get("price_list_amount") is not None:
        pl = document["price_list_currency"]
        unit = f" {line['unit']}" if line.get("unit") else ""
        return (
            f"{line['quantity']}{unit} x {line['unit_price']} {pl} = {line['price_list_amount']} {pl}; "
            f"x {fx['rate']} = {line['amount']} {document['currency']}"
        )
    return None


def _party(parent: ET.Element, tag: str, name: str, address: Mapping[str, Any], vat_id: str | None) -> None:
    party = ET.SubElement(parent, _ram(tag))
    _text(party, "Name", name)
    postal = ET.SubElement(party, _ram("PostalTradeAddress"))
    if address.get("postal_code"):
        _text(postal, "PostcodeCode", address["postal_code"])
    lines = list(address.get("lines") or [])
    for tag_name, value in zip(("LineOne", "LineTwo", "LineThree"), lines, strict=False):
        _text(postal, tag_name, value)
    if address.get("city"):
        _text(postal, "CityName", address["city"])
    _text(postal, "CountryID", address["country"])
    if address.get("region"):
        _text(postal, "CountrySubDivisionName", address["region"])
    if vat_id:
        ET.SubElement(ET.SubElement(party, _ram("SpecifiedTaxRegistration")), _ram("ID"), schemeID="VA").text = vat_id


def _seller_address(seller: Mapping[str, Any]) -> dict[str, Any]:
    return {"lines": seller.get("address_lines") or [], "country": seller["country"]}


def _buyer_address(buyer: Mapping[str, Any]) -> dict[str, Any]:
    address = buyer.get("billing_address")
    return dict(address) if address else {"lines": [], "country": buyer.get("country") or "ZZ"}


def _settlement(
    transaction: ET.Element,
    document: Mapping[str, Any],
    currency: str,
    tax: Mapping[str, str | None],
    referenced_invoice: Mapping[str, Any] | None,
) -> None:
    settlement = ET.SubElement(transaction, _ram("ApplicableHeaderTradeSettlement"))
    _text(settlement, "PaymentReference", document["invoice_number"])
    _text(settlement, "InvoiceCurrencyCode", currency)
    seller = document["seller"]
    if seller.get("iban") and referenced_invoice is None:
        means = ET.SubElement(settlement, _ram("SpecifiedTradeSettlementPaymentMeans"))
        _text(means, "TypeCode", SEPA_CREDIT_TRANSFER)
        _text(ET.SubElement(means, _ram("PayeePartyCreditorFinancialAccount")), "IBANID", seller["iban"])
        if seller.get("bic"):
            _text(ET.SubElement(means, _ram("PayeeSpecifiedCreditorFinancialInstitution")), "BICID", seller["bic"])
    header_tax = ET.SubElement(settlement, _ram("ApplicableTradeTax"))
    _text(header_tax, "CalculatedAmount", document["tax"])
    _text(header_tax, "TypeCode", "VAT")
    if tax["reason"]:
        _text(header_tax, "ExemptionReason", str(tax["reason"]))
    _text(header_tax, "BasisAmount", document["subtotal"])
    _text(header_tax, "CategoryCode", str(tax["code"]))
    if tax["reason_code"]:
        _text(header_tax, "ExemptionReasonCode", str(tax["reason_code"]))
    _text(header_tax, "RateApplicablePercent", str(tax["rate"]))
    period = ET.SubElement(settlement, _ram("BillingSpecifiedPeriod"))
    _date(ET.SubElement(period, _ram("StartDateTime")), document["billing_period"])
    if document.get("service_period_end"):
        _date(ET.SubElement(period, _ram("EndDateTime")), document["service_period_end"])
    if document.get("due_date"):
        terms = ET.SubElement(settlement, _ram("SpecifiedTradePaymentTerms"))
        _text(terms, "Description", f"{document['payment_terms_days']} days net")
        _date(ET.SubElement(terms, _ram("DueDateDateTime")), document["due_date"])
    summation = ET.SubElement(settlement, _ram("SpecifiedTradeSettlementHeaderMonetarySummation"))
    _text(summation, "LineTotalAmount", document["subtotal"])
    _text(summation, "TaxBasisTotalAmount", document["subtotal"])
    ET.SubElement(summation, _ram("TaxTotalAmount"), currencyID=currency).text = document["tax"]
    _text(summation, "GrandTotalAmount", document["total"])
    _text(summation, "DuePayableAmount", document["total"])
    if referenced_invoice is not None:
        reference = ET.SubElement(settlement, _ram("InvoiceReferencedDocument"))
        _text(reference, "IssuerAssignedID", referenced_invoice["invoice_number"])
        issued = ET.SubElement(reference, _ram("FormattedIssueDateTime"))
        ET.SubElement(issued, f"{{{QDT}}}DateTimeString", format="102").text = _yyyymmdd(
            referenced_invoice["invoice_date"]
        )


def _tax(parent: ET.Element, tax: Mapping[str, str | None]) -> None:
    element = ET.SubElement(parent, _ram("ApplicableTradeTax"))
    _text(element, "TypeCode", "VAT")
    _text(element, "CategoryCode", str(tax["code"]))
    _text(element, "RateApplicablePercent", str(tax["rate"]))


def _date(parent: ET.Element, iso_day: str) -> None:
    ET.SubElement(parent, f"{{{UDT}}}DateTimeString", format="102").text = _yyyymmdd(iso_day)


def _yyyymmdd(iso_day: str) -> str:
    return date.fromisoformat(iso_day).strftime("%Y%m%d")


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, _ram(tag)).text = value


def _ram(tag: str) -> str:
    return f"{{{RAM}}}{tag}"


def _rsm(tag: str) -> str:
    return f"{{{RSM}}}{tag}"
