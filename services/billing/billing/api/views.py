"""Consumption views for resellers and the distributor's monthly margins."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from billing.api.consumption_schemas import SubscriptionConsumptionRead
from billing.deps import Admin, BillingReader, RuntimeDep, UsageStoreDep
from billing.usecases.consumption import distributor_margins, reseller_consumption
from bss.api import examples
from bss.api.caller import tenant_scope

router = APIRouter(prefix="/v1", tags=["views"])
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


class ReportingTotalRead(BaseModel):
    """The month's total in one currency: each currency's totals converted at the invoice date's rates."""

    currency: str = Field(description="The reporting currency: the FX base currency setting (USD by default).")
    rates_on: date = Field(description="The invoice date, whose rates convert (as the invoices' own FX does).")
    revenue: str
    cost: str
    margin: str
    rates: list[dict[str, str]] = Field(description="Each rate used: from, to, rate, effective date, table.")
    missing_fx_rates: list[dict[str, str]] = Field(description="Currencies left out for want of a rate.")
    complete: bool


class MarginsRead(BaseModel):
    period: date
    per_reseller: list[dict[str, str]] = Field(
        description="Per reseller and currency: revenue, cost, margin, and the cost basis (discount, Tier 1)."
    )
    per_tier: list[dict[str, str]]
    total: list[dict[str, str]] = Field(description="Per currency: amounts in different currencies are not added.")
    reporting: ReportingTotalRead


@router.get(
    "/resellers/{reseller_id}/consumption",
    summary="A month of a reseller's subscriptions: usage per SKU and customer against the commitment, the "
    "estimated invoice and projection (the current month), the invoice to come (an earlier month not yet "
    "invoiced) or the invoice issued (an invoiced month)",
    response_model=list[SubscriptionConsumptionRead],
    responses={
        404: {"description": "Another tenant's reseller", **_PROBLEM},
        422: {"description": "Not a 1st, or a month that has not started", **_PROBLEM},
    },
)
async def get_consumption(
    reseller_id: Annotated[str, Path(description="The reseller.", examples=[examples.RESELLER_ID])],
    runtime: RuntimeDep,
    store: UsageStoreDep,
    caller: BillingReader,
    period: Annotated[
        date | None,
        Query(
            description="The 1st of an earlier month: its estimate is the invoice its close will issue, or the "
            "invoice issued once it is closed (no projection). Default: the current month.",
            examples=["2025-01-01"],
        ),
    ] = None,
) -> list[SubscriptionConsumptionRead]:
    """One month of each of the reseller's paid subscriptions: the usage per SKU and per customer (with the
    customer's name where it has one) against the commitment, and the invoice that month gives. For the current
    month (the default) that is the estimated invoice on the usage so far with a month-end projection; for an
    earlier month not yet invoiced, the invoice its close will issue; for an invoiced month, the invoice as issued
    (`invoice` names it) and the usage it carried. A missing FX rate leaves the lines it affects unpriced and
    named, and the totals say they are incomplete; the view still answers.

    A reseller reads its own (another reseller's is a 404); admins and support agents read any. 422 for a
    `period` that is not a 1st or is a month that has not started."""
    scope = tenant_scope(caller, reseller_id) or reseller_id
    rows = await reseller_consumption(runtime, store, scope, period=period)
    return [SubscriptionConsumptionRead.model_validate(row, from_attributes=True) for row in rows]


@router.get(
    "/distributor/margins",
    summary="Revenue, cost and margin of a month's invoices per reseller, per tier and in total",
    response_model=MarginsRead,
)
async def get_margins(
    runtime: RuntimeDep,
    _caller: Admin,
    period: Annotated[date, Query(description="The 1st of the month.", examples=["2025-01-01"])],
) -> MarginsRead:
    """The distributor's revenue (what resellers pay, before tax), cost (at cost price: the distributor discount
    and the Tier 1 program's, as the close applied them) and margin over a month's issued and paid invoices, per
    reseller (with its cost basis), per tier and in total per currency (amounts in different currencies are never
    added), and the total in the reporting currency (the FX base currency) at the invoice date's rates, listing
    any currency left out for want of a rate. Admins only (403 for others)."""
    return MarginsRead.model_validate(await distributor_margins(runtime, period))
