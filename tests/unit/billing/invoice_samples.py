"""Realistic invoice and credit note documents (the `InvoiceIssued.v1` / `CreditNoteIssued.v1` shapes) for the
PDF and CSV tests: each adds up as the month close makes it (lines rounded in the price-list currency, converted,
rounded again; the fee tops usage up to the commitment; tax on the subtotal), and validates against the contract."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from billing.domain.billing_terms import REVERSE_CHARGE_NOTE
from billing.domain.invoice_math import COMMITMENT_FEE_TEXT
from bss.events.contracts.billing import CreditNoteIssuedV1, InvoiceIssuedV1
from bss.money import round_money
from deploy.demo.distributor_settings import NOT_SUBJECT_TO_GERMAN_VAT

D = Decimal
SELLER: dict[str, Any] = {
    "legal_name": "Cloud Distribution GmbH",
    "country": "DE",
    "vat_id": "DE136695976",
    "address_lines": ["Hauptstrasse 1", "10115 Berlin"],
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "bank_name": "Commerzbank",
}
TABLE_USD_EUR = "0190c3a0-2000-7000-8000-000000000201"
TABLE_EUR_CHF = "0190c3a0-2000-7000-8000-000000000202"

# (description, sku, unit, quantity, unit price in the price list)
SKUS: tuple[tuple[str, str, str, str, str], ...] = (
    ("Servers", "CSP-SERVERS", "workload", "12", "28.00"),
    ("Virtual machines", "CSP-VMS", "workload", "45", "14.00"),
    ("Workstations", "CSP-WORKSTATIONS", "workload", "232", "3.20"),
    ("Microsoft 365 seats", "CSP-M365-SEATS", "seat", "1250", "1.10"),
    ("Acronis Cloud storage", "CSP-CLOUD-STORAGE-GB", "GB", "12000.5", "0.0528"),
    ("Disaster recovery public IPs", "CSP-DR-PUBLIC-IP", "IP address", "3.483870967741", "5.00"),
)


def rated(
    description: str, sku: str, unit: str, quantity: str, unit_price: str, currency: str, price_list: str, rate: str
) -> dict[str, Any]:
    listed = round_money(D(quantity) * D(unit_price), price_list)
    converted = round_money(listed * D(rate), currency)
    return {
        "kind": "usage",
        "description": description,
        "sku": sku,
        "unit": unit,
        "quantity": quantity,
        "unit_price": unit_price,
        "price_list_amount": str(listed),
        "amount": str(converted),
        "original_period": None,
    }


def late(line: dict[str, Any], month: date) -> dict[str, Any]:
    return {
        **line,
        "kind": "adjustment",
        "description": f"{line['description']}, {month:%b %Y}",
        "original_period": month.isoformat(),
    }


def support(description: str, amount: str) -> dict[str, Any]:
    kind = "support_credit" if amount.startswith("-") else "support_charge"
    return {
        "kind": kind,
        "description": description,
        "amount": amount,
        "ticket_id": "0190c3a5-7000-7000-8000-000000000701",
    }


def invoice(
    *,
    number: str | None,
    period: date,
    currency: str,
    usage: list[dict[str, Any]],
    commitment: str,
    tax_rate: str = "0",
    others: tuple[dict[str, Any], ...] = (),
    price_list: str | None = None,
    fx: dict[str, Any] | None = None,
    ramp_up: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """An invoice document that adds up, validated against `InvoiceIssuedV1` when it has a number."""
    usage_total = sum((D(line["amount"]) for line in usage), D(0))
    lines = list(usage)
    if not ramp_up and usage_total < D(commitment):
        fee = str(D(commitment) - usage_total)
        lines.append({"kind": "commitment_fee", "description": COMMITMENT_FEE_TEXT, "amount": fee})
    lines += others
    subtotal = sum((D(line["amount"]) for line in lines), D(0))
    tax = round_money(subtotal * D(tax_rate) / 100, currency)
    invoice_date = date(period.year + period.month // 12, period.month % 12 + 1, 1)
    document = {
        "invoice_id": "0190c3a2-4000-7000-8000-000000000400",
        "invoice_number": number,
        "reseller_id": "0190c3a1-2001-7000-8000-000000000201",
        "subscription_id": "0190c3a1-3001-7000-8000-000000000301",
        "product_id": "0190c3a0-0003-7000-8000-000000000003",
        "tier": "Tier 2",
        "billing_period": period.isoformat(),
        "service_period_end": (invoice_date - timedelta(days=1)).isoformat(),
        "invoice_date": invoice_date.isoformat(),
        "currency": currency,
        "price_list_currency": price_list or currency,
        "fx": fx,
        "commitment": commitment,
        "ramp_up_applied": ramp_up,
        "lines": lines,
        "usage_total": str(usage_total),
        "subtotal": str(subtotal),
        "tax_rate": tax_rate,
        "tax": str(tax),
        "total": str(subtotal + tax),
        "tax_treatment": "standard",
        "tax_note": None,
        "seller": SELLER,
        "payment_terms_days": 30,
        "due_date": (invoice_date + timedelta(days=30)).isoformat(),
        **extra,
    }
    if number:
        InvoiceIssuedV1.model_validate(document)
    return document


def usd_invoice() -> dict[str, Any]:
    """(a) A US reseller in USD, below its 2,500 USD commitment, with a ticket fee; no German VAT."""
    usage = [rated(*sku, "USD", "USD", "1") for sku in SKUS[:5]]
    return invoice(
        number="INV-2024-000101",
        period=date(2024, 5, 1),
        currency="USD",
        usage=usage,
        commitment="4500.00",
        others=(support("Ticket fee: severity 2 ticket from a non-certified reseller", "45.00"),),
        tax_note=NOT_SUBJECT_TO_GERMAN_VAT,
        buyer={
            "legal_name": "Northwind Backup LLC",
            "country": "US",
            "billing_address": {
                "lines": ["500 Congress Avenue", "Suite 1200"],
                "city": "Austin",
                "postal_code": "78701",
                "region": "TX",
                "country": "US",
            },
            "vat_id": None,
            "billing_email": "ap@northwind-backup.example",
        },
        locale="en-US",
    )


def eur_reverse_charge_invoice() -> dict[str, Any]:
    """(b) An Austrian reseller in EUR with a valid ATU VAT id: 0 % and the reverse charge note."""
    usage = [rated(*sku, "EUR", "EUR", "1") for sku in SKUS]
    document = invoice(
        number="INV-2024-000102",
        period=date(2024, 5, 1),
        currency="EUR",
        usage=usage,
        commitment="1000.00",
        buyer={
            "legal_name": "Wolkenwerk Datensicherung GmbH",
            "country": "AT",
            "billing_address": {
                "lines": ["Mariahilfer Straße 101"],
                "city": "Wien",
                "postal_code": "1060",
                "country": "AT",
            },
            "vat_id": "ATU13585627",
            "billing_email": "buchhaltung@wolkenwerk.example",
        },
        locale="de-AT",
    )
    return {**document, "tax_treatment": "reverse_charge", "tax_note": REVERSE_CHARGE_NOTE}


def jpy_invoice() -> dict[str, Any]:
    """(c) A Japanese reseller in JPY (no decimals): 177,673 JPY in a ramp-up month (no fee)."""
    skus = [
        ("Servers", "CSP-SERVERS", "workload", "20", "4200"),
        ("Workstations", "CSP-WORKSTATIONS", "workload", "150", "480"),
        ("Acronis Cloud storage", "CSP-CLOUD-STORAGE-GB", "GB", "2381.65", "9.1"),
    ]
    usage = [rated(*sku, "JPY", "JPY", "1") for sku in skus]
    return invoice(
        number="INV-2024-000103",
        period=date(2024, 5, 1),
        currency="JPY",
        usage=usage,
        commitment="450000",
        ramp_up=True,
        tax_note=NOT_SUBJECT_TO_GERMAN_VAT,
        buyer={
            "legal_name": "Sakura Cloud Services K.K.",
            "country": "JP",
            "billing_address": {
                "lines": ["1-1 Marunouchi", "Chiyoda-ku"],
                "city": "Tokyo",
                "postal_code": "100-0005",
                "country": "JP",
            },
            "vat_id": None,
            "billing_email": "keiri@sakura-cloud.example",
        },
        locale="ja-JP",
    )


def chf_fx_invoice() -> dict[str, Any]:
    """(d) A Swiss reseller in CHF rated from the USD price list through EUR (two legs), Swiss VAT 8.1 %, with
    late usage of April."""
    legs = [("USD", "EUR", "0.9215", TABLE_USD_EUR), ("EUR", "CHF", "0.9781", TABLE_EUR_CHF)]
    rate = str(D(legs[0][2]) * D(legs[1][2]))
    usage = [rated(*sku, "CHF", "USD", rate) for sku in SKUS[:3]]
    adjustment = late(rated(*SKUS[4][:3], "500", SKUS[4][4], "CHF", "USD", rate), date(2024, 4, 1))
    fx = {
        "rate": rate,
        "rate_table_id": TABLE_EUR_CHF,
        "effective_from": "2024-05-31",
        "legs": [
            {"from": f, "to": t, "rate": r, "rate_table_id": table, "effective_from": on}
            for (f, t, r, table), on in zip(legs, ("2024-05-28", "2024-05-31"), strict=True)
        ],
    }
    return invoice(
        number="INV-2024-000104",
        period=date(2024, 5, 1),
        currency="CHF",
        price_list="USD",
        fx=fx,
        usage=usage,
        commitment=str(round_money(D("2000") * D(rate), "CHF")),
        tax_rate="8.1",
        others=(adjustment,),
        buyer={
            "legal_name": "Alpenwolke IT AG",
            "country": "CH",
            "billing_address": {
                "lines": ["Bahnhofstrasse 5"],
                "city": "Zürich",
                "postal_code": "8001",
                "country": "CH",
            },
            "vat_id": "CHE-116.281.710 MWST",
            "billing_email": "billing@alpenwolke.example",
        },
        locale="de-CH",
    )


def long_invoice() -> dict[str, Any]:
    """(e) A German reseller with 60 lines (usage, three months of late usage, support fees and credits), 19 %."""
    usage = [rated(*sku, "EUR", "EUR", "1") for sku in SKUS]
    adjustments = [
        late(
            rated(description, sku, unit, str(D(quantity) / 4 + month), price, "EUR", "EUR", "1"), date(2024, month, 1)
        )
        for month in (1, 2, 3, 4)
        for description, sku, unit, quantity, price in SKUS
    ]
    fees = [
        support(f"Ticket fee: severity {1 + n % 3} ticket #{4711 + n}, opened by a non-certified reseller", "45.00")
        for n in range(20)
    ]
    credits = [support(f"SLA credit: first response late on ticket #{4711 + n}", "-15.00") for n in range(9)]
    document = invoice(
        number="INV-2024-000105",
        period=date(2024, 5, 1),
        currency="EUR",
        usage=usage,
        commitment="8000.00",
        tax_rate="19",
        others=(*adjustments, *fees, *credits),
        buyer={
            "legal_name": "Müller & Söhne Datensicherung GmbH & Co. KG",
            "country": "DE",
            "billing_address": {
                "lines": ["Große Elbstraße 145", "Haus B, 3. Obergeschoss"],
                "city": "Hamburg",
                "postal_code": "22767",
                "country": "DE",
            },
            "vat_id": "DE811569869",
            "billing_email": "rechnungen@mueller-soehne.example",
        },
        locale="de-DE",
        payment_terms_days=14,
    )
    return {**document, "due_date": "2024-06-15"}


def credit_note(corrected: dict[str, Any]) -> dict[str, Any]:
    """(f) A credit note against `corrected` (a duplicate workstation report and a goodwill credit)."""
    currency = corrected["currency"]
    lines = [
        {"description": "Workstations counted twice on 2024-05-14", "amount": "64.00", "sku": "CSP-WORKSTATIONS"},
        {"description": "Goodwill credit for the storage outage of 2024-05-20 (ticket #4722)", "amount": "120.00"},
    ]
    subtotal = sum((D(line["amount"]) for line in lines), D(0))
    tax = round_money(subtotal * D(corrected["tax_rate"]) / 100, currency)
    document = {
        "credit_note_id": "0190c3a2-5000-7000-8000-000000000500",
        "credit_note_number": "CN-2024-000007",
        "invoice_id": corrected["invoice_id"],
        "invoice_number": corrected["invoice_number"],
        "reseller_id": corrected["reseller_id"],
        "subscription_id": corrected["subscription_id"],
        "issued_on": "2024-06-10",
        "currency": currency,
        "lines": lines,
        "subtotal": str(subtotal),
        "tax": str(tax),
        "total": str(subtotal + tax),
        "reason": "Duplicate workstation report from the usage collector, and a goodwill credit for the outage.",
    }
    CreditNoteIssuedV1.model_validate(document)
    return document
