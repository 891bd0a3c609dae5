"""The consumption view's response: a reseller's month per subscription, its estimated invoice and projection.

Amounts are decimal strings in the subscription's currency. A missing FX rate never fails the view: the lines
it affects have no `amount` and name the rate (`missing_fx_rate`), the totals add up the priced lines only and
say so (`totals_complete: false`), and `missing_fx_rates` lists every rate the view lacks (docs/domain.md,
"Consumption views and the month-end projection").
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from billing.domain.invoice_math import LineKind
from bss.api import examples

# The example reseller's January 2025 before its close (tests/e2e/openapi_examples/billing.py): csp-commit-1000
# ("Tier 3") in EUR, the usage that the `POST /v1/usage` and Acronis report examples reported, 19 % German VAT.
_CUSTOMER = {"customer_id": examples.CUSTOMER_ID, "name": "Contoso Dental Practice GmbH"}
_USAGE = [
    # sku, name, aggregation, quantity, unit price (EUR), amount (EUR)
    ("CSP-CLOUD-STORAGE-GB", "Acronis Cloud storage", "last", "1600", "0.04692", "75.07"),
    ("CSP-DR-COMPUTE", "Disaster recovery compute points", "sum", "12.5", "0.1955", "2.44"),
    ("CSP-M365-SEATS", "Microsoft 365 seats", "max", "35", "0.8602", "30.11"),
    ("CSP-SERVERS", "Servers", "max", "4", "21.896", "87.58"),
    ("CSP-VMS", "Virtual machines", "max", "18", "10.948", "197.06"),
    ("CSP-WORKSTATIONS", "Workstations", "max", "40", "2.5024", "100.10"),
]
_NOT_ON_A_LINE: dict[str, Any] = {
    "original_period": None,
    "ticket_id": None,
    "support_charge_id": None,
    "missing_fx_rate": None,
    "unconverted_amount": None,
}
_EXAMPLE: dict[str, Any] = {
    "subscription_id": examples.SUBSCRIPTION_ID,
    "tier": "Tier 3",
    "currency": "EUR",
    "commitment": "920.00",
    "usage_total": "492.36",
    "estimated_invoice": {
        "lines": [
            *(
                {
                    "kind": "usage",
                    "description": name,
                    "sku": sku,
                    "quantity": quantity,
                    "unit_price": price,
                    "amount": amount,
                    **_NOT_ON_A_LINE,
                }
                for sku, name, _rule, quantity, price, amount in _USAGE
            ),
            {
                "kind": "commitment_fee",
                "description": "Minimum Commitment Amount Fee",
                "sku": None,
                "quantity": None,
                "unit_price": None,
                "amount": "427.64",
                **_NOT_ON_A_LINE,
            },
        ],
        "subtotal": "920.00",
        "tax": "174.80",
        "total": "1094.80",
        "totals_complete": True,
    },
    "projection": None,
    "skus": [
        {
            "sku": sku,
            "name": name,
            "aggregation": rule,
            "quantity": quantity,
            "customers": [{**_CUSTOMER, "quantity": quantity}],
        }
        for sku, name, rule, quantity, _price, _amount in _USAGE
    ],
    "problem": None,
    "missing_fx_rates": [],
    "totals_complete": True,
    "invoice": None,
}


class MissingFxRateRead(BaseModel):
    """An FX rate the view needs and the rate tables lack (the close of the month refuses until it arrives)."""

    from_currency: str = Field(description="The currency the amount is in.", examples=["EUR"])
    to_currency: str = Field(description="The subscription's (invoice) currency.", examples=["USD"])
    on: date = Field(description="The date the rate is needed on: the invoice date, the 1st of the next month.")


class EstimatedLineRead(BaseModel):
    """A line as the invoice would print it; unpriced when `missing_fx_rate` is set."""

    kind: LineKind
    description: str
    sku: str | None
    quantity: str | None
    unit_price: str | None = Field(description="In the price-list currency.")
    amount: str | None = Field(description="In the subscription's currency; null when `missing_fx_rate` is set.")
    original_period: date | None = Field(description="Set on an adjustment: the period its usage belongs to.")
    ticket_id: str | None
    support_charge_id: str | None
    missing_fx_rate: MissingFxRateRead | None = Field(
        default=None, description="The rate this line needs and lacks: it is left out of the totals."
    )
    unconverted_amount: str | None = Field(
        default=None, description="With `missing_fx_rate`: the line's amount in its `from_currency`, not converted."
    )


class EstimatedInvoiceRead(BaseModel):
    lines: list[EstimatedLineRead]
    subtotal: str = Field(description="Of the priced lines.")
    tax: str
    total: str
    totals_complete: bool = Field(
        default=True, description="False: a missing FX rate left lines unpriced, and the totals leave them out."
    )


class SkuProjectionRead(BaseModel):
    sku: str
    aggregation: str = Field(
        description="sum: grows over the days left; max, last: stays; average: its running average."
    )
    quantity: str
    projected_quantity: str
    amount: str
    projected_amount: str


class ProjectionRead(BaseModel):
    """Where the month ends, each SKU by its aggregation (the current month only; support lines and late usage play
    no part)."""

    projected_usage_total: str
    projected_commitment_fee: str | None = Field(
        description="Null when the commitment cannot be converted (its FX rate is missing)."
    )
    elapsed_days: str
    totals_complete: bool = Field(
        default=True, description="False: the usage lines and the commitment need a missing FX rate."
    )
    skus: list[SkuProjectionRead] = Field(default_factory=list, description="Each priced usage line's projection.")


class InvoiceRef(BaseModel):
    invoice_id: str
    invoice_number: str | None
    status: str


class SubscriptionConsumptionRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": _EXAMPLE})

    subscription_id: str
    tier: str
    currency: str
    commitment: str | None = Field(
        description="In the subscription's currency; null when its FX rate is missing, empty with a `problem`."
    )
    usage_total: str = Field(description="Of the priced usage lines.")
    estimated_invoice: EstimatedInvoiceRead | None
    projection: ProjectionRead | None
    skus: list[dict[str, Any]]
    problem: str | None = Field(description="Why this month has no estimate (already invoiced, no price, ...).")
    missing_fx_rates: list[MissingFxRateRead] = Field(
        default_factory=list, description="Every FX rate this view lacks; empty when everything is priced."
    )
    totals_complete: bool = Field(
        default=True, description="False: some lines are unpriced (see `missing_fx_rates`); totals leave them out."
    )
    invoice: InvoiceRef | None = Field(
        default=None,
        description="A month already invoiced: its invoice. `estimated_invoice` then holds its lines as issued.",
    )
