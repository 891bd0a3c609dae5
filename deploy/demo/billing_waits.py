"""What billing must know before the month is closed, read through its estimate of the month.

Billing learns subscriptions, tier changes, FX rates, support fees and usage from events, a moment after the
other services wrote them. `GET /billing/resellers/{id}/consumption?period=...` shows the month as its close
would invoice it; the demo closes the month only once that estimate carries everything the month sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from deploy.demo.gateway_calls import DemoError, expect, poll


@dataclass(frozen=True, slots=True)
class Expected:
    """What one subscription's invoice of the month must carry."""

    reseller_id: str
    subscription_id: str
    tier: str
    quantities: dict[str, Decimal]  # per SKU, summed over the customers
    support_lines: int


async def month_estimate(admin: httpx.AsyncClient, reseller_id: str, period: date) -> dict[str, Any] | None:
    """Billing's estimate of the reseller's subscription for the month (None while billing does not know it)."""
    answer = await admin.get(
        f"/api/v1/billing/resellers/{reseller_id}/consumption", params={"period": period.isoformat()}
    )
    rows = expect(answer, 200, "read billing's estimate of the month")
    if not rows:
        return None
    (row,) = rows
    if row.get("invoice"):  # the month shows its invoice: someone closed it before the demo did
        raise DemoError(
            f"billing invoiced {period:%B %Y} for reseller {reseller_id} before the demo closed it: the month-close "
            "scheduler of the running suite closes the previous month every few minutes. Run `make demo` again, "
            "or start the suite with BILLING_MONTH_CLOSE_SCHEDULER=false."
        )
    return dict(row)


async def wait_known(admin: httpx.AsyncClient, reseller_id: str, period: date, what: str) -> dict[str, Any]:
    """Until billing can invoice the subscription for the month (product, prices and FX rates known)."""

    async def known() -> dict[str, Any] | None:
        row = await month_estimate(admin, reseller_id, period)
        return row if row is not None and row["problem"] is None else None

    result: dict[str, Any] = await poll(known, f"billing to know {what}")
    return result


def missing(row: dict[str, Any] | None, expected: Expected) -> str | None:
    """What the estimate still lacks (None: it carries everything)."""
    if row is None or row["problem"]:
        return row["problem"] if row else "the subscription"
    if row["tier"] != expected.tier:
        return f"the tier change (billed as {row['tier']})"
    counted = {sku["sku"]: Decimal(sku["quantity"]) for sku in row["skus"]}
    if counted != expected.quantities:
        return "the usage"
    lines = row["estimated_invoice"]["lines"]
    if sum(1 for line in lines if line["kind"] == "support_charge") != expected.support_lines:
        return "the ticket fees"
    if row.get("missing_fx_rates"):  # the view degrades without a rate; the close would refuse
        return "the FX rates " + ", ".join(f"{r['from_currency']}->{r['to_currency']}" for r in row["missing_fx_rates"])
    return None


async def wait_complete(admin: httpx.AsyncClient, expected: list[Expected], period: date) -> None:
    """Until billing's estimate of every subscription carries its tier, all its usage and its ticket fees."""
    pending = list(expected)
    last_missing: dict[str, str] = {}

    async def complete() -> bool:
        for item in list(pending):
            gap = missing(await month_estimate(admin, item.reseller_id, period), item)
            if gap is None:
                pending.remove(item)
            else:
                last_missing[item.reseller_id] = gap
        return not pending

    try:
        await poll(complete, "billing to count the month", timeout_s=60.0, every_s=0.2)
    except DemoError as exc:
        gaps = ", ".join(f"{last_missing.get(item.reseller_id)} of {item.reseller_id}" for item in pending)
        raise DemoError(f"{exc}; still missing: {gaps}") from exc
