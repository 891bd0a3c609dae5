"""Billing events: usage coming in, and the invoices and credit notes going out.

`UsageRecorded` is the high-volume input (topic `bss.usage`), published by usage collectors and other BSS
systems and deduplicated on the envelope id, its idempotency key. Billing answers a usage event it cannot
accept with `UsageRejected`, so the producer learns why. `InvoiceIssued`, `InvoiceVoided` and
`CreditNoteIssued` tell accounting and other systems what a reseller owes; an issued invoice never changes.
Invoice amounts are in the invoice currency, rounded to its minor unit, and always add up to the total.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bss.events import topics
from bss.events.contracts.subscriptions import PostalAddress
from bss.events.contracts.value_types import (
    Amount,
    CountryCode,
    Currency,
    LocaleTag,
    MeasuredQuantity,
    Name,
    NonNegativeAmount,
    Percent,
    PeriodStart,
    PositiveRate,
    Quantity,
    Sku,
    Text,
    UtcDatetime,
    Uuid,
)
from bss.events.envelope import EventData
from bss.money import round_money

EventId = Annotated[str, Field(min_length=1, max_length=200)]

# Ids used by the examples.
_RESELLER = "0190c3a1-2001-7000-8000-000000000201"
_SUBSCRIPTION = "0190c3a1-3001-7000-8000-000000000301"
_CUSTOMER = "3f2d8c1e-5b7a-4e0f-9c61-0a8b7d6e5f41"
_INVOICE = "0190c3a2-4000-7000-8000-000000000400"
_TIER3 = "0190c3a0-0003-7000-8000-000000000003"


def _require_minor_units(currency: str, amounts: Iterable[Decimal]) -> None:
    for amount in amounts:
        if round_money(amount, currency) != amount:
            raise ValueError(f"{amount} has more decimals than {currency} allows")


class UsageRecordedV1(EventData):
    """A measured quantity of one SKU for one customer of a reseller, at an instant.

    The envelope id is the idempotency key: the first version received counts, later ones are duplicates.
    The event belongs to the billing period (calendar month, UTC) of `measured_at`.
    """

    event_type: ClassVar[str] = "bss.billing.UsageRecorded.v1"
    topic: ClassVar[str] = topics.USAGE

    reseller_id: Uuid = Field(description="The reseller whose subscription the usage is billed to.")
    subscription_id: Uuid = Field(description="The reseller's contract subscription.")
    customer_id: Uuid = Field(description="The reseller's customer (its Acronis tenant) that consumed.")
    sku: Sku = Field(description="The usage SKU measured.")
    quantity: MeasuredQuantity = Field(
        description="Measured value in the SKU's unit, exact (a decimal string); a delta for 'sum' SKUs, "
        "the current or accumulated value for 'max', 'last' and 'average' SKUs."
    )
    measured_at: UtcDatetime = Field(description="When the quantity was measured; decides the period.")
    source: Name = Field(description="The producing system, e.g. 'acronis-usage-collector'.")

    def subject(self) -> str:
        return self.subscription_id

    @classmethod
    def example(cls) -> Self:
        return cls(
            reseller_id=_RESELLER,
            subscription_id=_SUBSCRIPTION,
            customer_id=_CUSTOMER,
            sku="SKU-BACKUP-STORAGE-GB",
            quantity=Decimal("1536.25"),
            measured_at=datetime(2023, 12, 14, 0, 5, tzinfo=UTC),
            source="acronis-usage-collector",
        )


UsageRejectionReason = Literal[
    "invalid_payload",
    "unknown_subscription",
    "reseller_mismatch",
    "unknown_sku",
    "outside_subscription",
    "measured_in_future",
    "conflicting_duplicate",
    "quantity_out_of_range",
    "billed_elsewhere",
]


class UsageRejectedV1(EventData):
    """Billing refused a usage event; it is not billed. Published on `bss.billing` for its producer."""

    event_type: ClassVar[str] = "bss.billing.UsageRejected.v1"
    topic: ClassVar[str] = topics.BILLING

    rejected_event_id: EventId = Field(description="Envelope id of the refused UsageRecorded event.")
    reason_code: UsageRejectionReason = Field(
        description="invalid_payload: data is not a UsageRecorded.v1; unknown_subscription; "
        "reseller_mismatch: the subscription belongs to another reseller; unknown_sku: not billed under the "
        "subscription's product; outside_subscription: measured before it started or after it ended; "
        "measured_in_future; conflicting_duplicate: the id was seen with another payload (the first counts); "
        "quantity_out_of_range: more than 18 integer digits or 12 decimals, or over 64 characters; "
        "billed_elsewhere: measured in a month another system invoiced (an imported subscription)."
    )
    detail: Text = Field(description="What is wrong and how to fix it, for people.")
    source: Name | None = Field(default=None, description="Envelope source of the refused event, if readable.")
    reseller_id: Uuid | None = Field(default=None, description="Reseller named by the event, if readable.")
    subscription_id: Uuid | None = Field(default=None, description="Subscription named, if readable.")
    sku: Sku | None = Field(default=None, description="SKU named by the event, if readable.")
    rejected_at: UtcDatetime = Field(description="When billing refused the event.")

    def subject(self) -> str:
        """The subscription when known, else the refused event's id."""
        return self.subscription_id or self.rejected_event_id

    @classmethod
    def example(cls) -> Self:
        return cls(
            rejected_event_id="0190c3a5-9a00-7000-8000-00000000beef",
            reason_code="unknown_sku",
            detail="SKU 'SKU-GEO-REDUNDANT' is not billed under Tier 3; check the SKU code.",
            source="acronis-usage-collector",
            reseller_id=_RESELLER,
            subscription_id=_SUBSCRIPTION,
            sku="SKU-GEO-REDUNDANT",
            rejected_at=datetime(2023, 12, 14, 0, 5, 2, tzinfo=UTC),
        )


InvoiceLineKind = Literal["usage", "adjustment", "commitment_fee", "support_charge", "support_credit"]


class InvoiceLine(BaseModel):
    """One invoice line; `amount` is in the invoice currency, rounded to its minor unit."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: InvoiceLineKind = Field(
        description="usage: a SKU's usage of the period; adjustment: late usage of an earlier, invoiced period; "
        "commitment_fee: the 'Minimum Commitment Amount Fee'; support_charge / support_credit: support fees."
    )
    description: Text = Field(description="Line text as printed.")
    sku: Sku | None = Field(default=None, description="The SKU, for usage and adjustment lines.")
    quantity: Quantity | None = Field(default=None, description="Aggregated quantity, never rounded.")
    unit_price: NonNegativeAmount | None = Field(
        default=None, description="Unit price in the price-list currency, for usage and adjustment lines."
    )
    amount: Amount = Field(description="Line amount in the invoice currency (negative for credits).")
    original_period: PeriodStart | None = Field(
        default=None, description="For an adjustment: the period the late usage was measured in."
    )
    ticket_id: Uuid | None = Field(default=None, description="For support lines: the ticket.")
    support_charge_id: Uuid | None = Field(
        default=None, description="For support lines: the IncidentCharged charge id or IncidentCredited credit id."
    )
    unit: Name | None = Field(default=None, description="What the quantity counts (GB, workload, ...).")
    price_list_amount: NonNegativeAmount | None = Field(
        default=None,
        description="For usage and adjustment lines of an FX-billed invoice: quantity x unit price rounded in the "
        "price-list currency; `amount` is it converted at the invoice's rate. Absent when the invoice is in the "
        "price-list currency (`amount` is that figure).",
    )


class FxLeg(BaseModel):
    """One rate a conversion used: a published pair (or its inverse) from one currency to the next."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, serialize_by_alias=True)

    from_currency: Currency = Field(alias="from", description="The currency converted from.")
    to_currency: Currency = Field(alias="to", description="The currency converted to.")
    rate: PositiveRate = Field(description="Units of `to` per unit of `from` (1/rate of a pair quoted inversely).")
    rate_table_id: Uuid = Field(description="The FX rate table the pair was published in.")
    effective_from: date = Field(description="Effective date of that publication (latest on or before invoice).")


class FxApplied(BaseModel):
    """The FX rate an invoice was converted with, recorded on the invoice with each rate it was made of."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    rate: PositiveRate = Field(description="Units of the invoice currency per unit of the price-list currency.")
    rate_table_id: Uuid = Field(description="The FX rate table of the latest leg.")
    effective_from: date = Field(description="Effective date of the latest leg (latest on or before invoice).")
    legs: tuple[FxLeg, ...] = Field(
        default=(),
        description="Every rate used, in order: the direct pair or its inverse, or the two legs through the base.",
    )


class InvoiceSeller(BaseModel):
    """The distributor as its invoice names it: the `seller` setting in force on the period's first day."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    legal_name: Name = Field(description="The seller's legal name.")
    country: CountryCode = Field(description="Where the seller is established.")
    vat_id: Name | None = Field(default=None, description="Its VAT id.")
    address_lines: tuple[Name, ...] = Field(default=(), description="Its address, as printed.")
    iban: Name | None = Field(default=None, description="The account to pay to (ISO 13616, compact).")
    bic: Name | None = Field(default=None, description="The BIC of its bank.")
    bank_name: Name | None = Field(default=None, description="Its bank.")


class InvoiceBuyer(BaseModel):
    """The reseller as its invoice names it: its billing profile in force on the period's first day."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    legal_name: Name = Field(description="The buyer's legal name.")
    country: CountryCode = Field(description="The reseller's country, whose tax the invoice applies.")
    billing_address: PostalAddress | None = Field(default=None, description="Its billing address.")
    vat_id: Name | None = Field(default=None, description="Its VAT id, if any.")
    billing_email: str | None = Field(default=None, max_length=254, description="Where the invoice is sent.")


class InvoiceIssuedV1(EventData):
    """A monthly invoice for one subscription and one billing period; it never changes once issued."""

    event_type: ClassVar[str] = "bss.billing.InvoiceIssued.v1"
    topic: ClassVar[str] = topics.BILLING

    invoice_id: Uuid = Field(description="The invoice.")
    invoice_number: Name = Field(description="Gapless invoice number, as printed.")
    reseller_id: Uuid = Field(description="The reseller billed.")
    subscription_id: Uuid = Field(description="The subscription billed.")
    product_id: Uuid = Field(description="The product (tier) in force for the period.")
    tier: Name = Field(description="Tier name as it was on the first day of the period.")
    billing_period: PeriodStart = Field(description="First day of the calendar month billed (UTC).")
    invoice_date: date = Field(description="Date of the invoice: the 1st of the following month.")
    currency: Currency = Field(description="Invoice currency.")
    price_list_currency: Currency = Field(description="Currency the usage was rated in.")
    fx: FxApplied | None = Field(default=None, description="FX used when the two currencies differ.")
    commitment: NonNegativeAmount = Field(description="Minimum commitment of the period, invoice currency.")
    ramp_up_applied: bool = Field(description="The period is a ramp-up cycle: no commitment fee.")
    lines: tuple[InvoiceLine, ...] = Field(description="Invoice lines, in print order.")
    usage_total: Amount = Field(description="Sum of the usage lines (adjustments excluded), before tax.")
    subtotal: Amount = Field(description="Sum of all lines: the charges before tax.")
    tax_rate: Percent = Field(description="Tax rate of the reseller's country, in percent.")
    tax: Amount = Field(description="round_half_up(subtotal x tax_rate / 100); not a line.")
    total: Amount = Field(description="Payable: subtotal + tax.")
    tax_treatment: Literal["standard", "reverse_charge"] = Field(
        default="standard",
        description="standard: the country's rate; reverse_charge: 0 %, VAT accounted for by the EU buyer.",
    )
    tax_note: str | None = Field(default=None, max_length=300, description="The legal note printed with the tax.")
    seller: InvoiceSeller | None = Field(default=None, description="Who bills (the distributor's `seller` setting).")
    buyer: InvoiceBuyer | None = Field(default=None, description="Who is billed (the reseller's billing profile).")
    service_period_end: date | None = Field(
        default=None, description="The last day of the service period (the billing period's last day)."
    )
    payment_terms_days: int | None = Field(default=None, ge=0, le=365, description="Days from invoice to due date.")
    due_date: date | None = Field(default=None, description="When payment is due: invoice_date + payment terms.")
    locale: LocaleTag | None = Field(default=None, description="The language and formats the buyer's documents use.")

    def subject(self) -> str:
        return self.invoice_id

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        amounts = [line.amount for line in self.lines]
        _require_minor_units(self.currency, [*amounts, self.commitment, self.subtotal, self.tax, self.total])
        if sum(amounts, Decimal(0)) != self.subtotal:
            raise ValueError("the lines do not add up to the subtotal")
        usage = sum((line.amount for line in self.lines if line.kind == "usage"), Decimal(0))
        if usage != self.usage_total:
            raise ValueError("the usage lines do not add up to usage_total")
        if self.subtotal + self.tax != self.total:
            raise ValueError("subtotal + tax is not the total")
        if (self.fx is None) != (self.currency == self.price_list_currency):
            raise ValueError("fx is recorded when, and only when, the invoice currency is not the price-list one")
        return self

    @classmethod
    def example(cls) -> Self:
        """Seed 003 in CHF: Dec 2023 usage below the 1,000 USD commitment of 'Tier 2', plus late usage."""
        lines = [
            ("usage", "Backup storage (GB)", "SKU-BACKUP-STORAGE-GB", "12000", "0.0350", "353.30", None),
            ("usage", "Workstations", "SKU-WORKSTATION", "232", "1.85", "361.04", None),
            ("commitment_fee", "Minimum Commitment Amount Fee", None, None, None, "126.86", None),
            (
                "adjustment",
                "Backup storage (GB), Nov 2023",
                "SKU-BACKUP-STORAGE-GB",
                "500",
                "0.0350",
                "14.72",
                date(2023, 11, 1),
            ),
        ]
        return cls.model_validate(
            {
                "invoice_id": _INVOICE,
                "invoice_number": "INV-2024-000123",
                "reseller_id": _RESELLER,
                "subscription_id": _SUBSCRIPTION,
                "product_id": _TIER3,
                "tier": "Tier 2",
                "billing_period": date(2023, 12, 1),
                "invoice_date": date(2024, 1, 1),
                "currency": "CHF",
                "price_list_currency": "USD",
                "fx": {
                    "rate": "0.8412",
                    "rate_table_id": "0190c3a0-2000-7000-8000-000000000200",
                    "effective_from": date(2024, 1, 1),
                    "legs": [
                        {
                            "from": "USD",
                            "to": "CHF",
                            "rate": "0.8412",
                            "rate_table_id": "0190c3a0-2000-7000-8000-000000000200",
                            "effective_from": date(2024, 1, 1),
                        }
                    ],
                },
                "commitment": "841.20",
                "ramp_up_applied": False,
                "lines": [
                    {
                        "kind": k,
                        "description": d,
                        "sku": s,
                        "quantity": q,
                        "unit_price": u,
                        "amount": a,
                        "original_period": p,
                    }
                    for k, d, s, q, u, a, p in lines
                ],
                "usage_total": "714.34",
                "subtotal": "855.92",
                "tax_rate": "8.1",
                "tax": "69.33",
                "total": "925.25",
                "buyer": {
                    "legal_name": "Alpenwolke IT AG",
                    "country": "CH",
                    "billing_address": {
                        "lines": ["Bahnhofstrasse 5"],
                        "city": "Zurich",
                        "postal_code": "8001",
                        "country": "CH",
                    },
                    "vat_id": "CHE-116.281.710 MWST",
                    "billing_email": "billing@alpenwolke.example",
                },
                "payment_terms_days": 30,
                "due_date": date(2024, 1, 31),
                "locale": "de-CH",
            }
        )


class InvoiceVoidedV1(EventData):
    """An invoice issued in error is void as a whole; a replacement, if any, is a new invoice."""

    event_type: ClassVar[str] = "bss.billing.InvoiceVoided.v1"
    topic: ClassVar[str] = topics.BILLING

    invoice_id: Uuid = Field(description="The voided invoice.")
    invoice_number: Name = Field(description="Its number, as printed.")
    reseller_id: Uuid = Field(description="The reseller it was issued to.")
    subscription_id: Uuid = Field(description="The subscription it billed.")
    voided_at: UtcDatetime = Field(description="When it was voided.")
    reason: Text = Field(description="Why, for people.")
    replacement_invoice_id: Uuid | None = Field(default=None, description="The invoice replacing it, if any.")

    def subject(self) -> str:
        return self.invoice_id

    @classmethod
    def example(cls) -> Self:
        return cls(
            invoice_id=_INVOICE,
            invoice_number="INV-2024-000123",
            reseller_id=_RESELLER,
            subscription_id=_SUBSCRIPTION,
            voided_at=datetime(2024, 1, 3, 9, 12, tzinfo=UTC),
            reason="Issued to the wrong billing entity.",
            replacement_invoice_id="0190c3a2-4001-7000-8000-000000000401",
        )


class CreditNoteLine(BaseModel):
    """One credited amount, in the credit note's currency."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    description: Text = Field(description="Line text as printed.")
    amount: NonNegativeAmount = Field(description="Amount credited, before tax.")
    sku: Sku | None = Field(default=None, description="The SKU the credit corrects, if any.")
    ticket_id: Uuid | None = Field(default=None, description="The support ticket the credit relates to, if any.")


class CreditNoteIssuedV1(EventData):
    """A credit note corrects an issued invoice (which itself never changes); amounts are credited."""

    event_type: ClassVar[str] = "bss.billing.CreditNoteIssued.v1"
    topic: ClassVar[str] = topics.BILLING

    credit_note_id: Uuid = Field(description="The credit note.")
    credit_note_number: Name = Field(description="Gapless credit note number, as printed.")
    invoice_id: Uuid = Field(description="The invoice corrected (the Kafka key, so it follows the invoice).")
    invoice_number: Name = Field(description="Number of the invoice corrected.")
    reseller_id: Uuid = Field(description="The reseller credited.")
    subscription_id: Uuid = Field(description="The subscription of the corrected invoice.")
    issued_on: date = Field(description="Date of the credit note.")
    currency: Currency = Field(description="Currency of the corrected invoice.")
    lines: tuple[CreditNoteLine, ...] = Field(min_length=1, description="What is credited.")
    subtotal: NonNegativeAmount = Field(description="Sum of the lines, before tax.")
    tax: NonNegativeAmount = Field(description="Tax credited, at the corrected invoice's rate.")
    total: NonNegativeAmount = Field(description="Credited in all: subtotal + tax.")
    reason: Text = Field(description="Why, for people.")

    def subject(self) -> str:
        return self.invoice_id

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        amounts = [line.amount for line in self.lines]
        _require_minor_units(self.currency, [*amounts, self.subtotal, self.tax, self.total])
        if sum(amounts, Decimal(0)) != self.subtotal:
            raise ValueError("the lines do not add up to the subtotal")
        if self.subtotal + self.tax != self.total:
            raise ValueError("subtotal + tax is not the total")
        return self

    @classmethod
    def example(cls) -> Self:
        return cls.model_validate(
            {
                "credit_note_id": "0190c3a2-5000-7000-8000-000000000500",
                "credit_note_number": "CN-2024-000007",
                "invoice_id": _INVOICE,
                "invoice_number": "INV-2024-000123",
                "reseller_id": _RESELLER,
                "subscription_id": _SUBSCRIPTION,
                "issued_on": date(2024, 1, 10),
                "currency": "CHF",
                "lines": [
                    {
                        "description": "Workstations counted twice on 2023-12-14",
                        "amount": "12.45",
                        "sku": "SKU-WORKSTATION",
                    },
                ],
                "subtotal": "12.45",
                "tax": "1.01",
                "total": "13.46",
                "reason": "Duplicate workstation report from the collector.",
            }
        )
