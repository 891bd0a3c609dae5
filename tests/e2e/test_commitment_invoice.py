"""Seed 003 through the real services and broker, via the gateway only: usage below and above the commitment.

Tier 3 commits 1,000 USD a month. A reseller whose usage is below it pays its usage plus the "Minimum Commitment
Amount Fee" (the difference): payable = 1,000. A reseller whose usage is above it pays its usage, no fee.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Suite
from tests.e2e.test_reseller_onboarding import products_known_to_subscriptions, reseller_body
from tests.harness.polling import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

PERIOD = "2025-10-01"
TIER3 = "Acronis Cyber Cloud for Service Providers - Tier 3"
COMMITMENT = Decimal("1000.00")
CENT = Decimal("0.01")


async def tier3_and_a_priced_sku(admin: httpx.AsyncClient) -> tuple[str, str, Decimal]:
    products = (await admin.get("/api/v1/catalog/products", params={"as_of": PERIOD, "limit": 50})).json()["items"]
    tier3 = next(p["id"] for p in products if p["name"] == TIER3)
    skus = (await admin.get("/api/v1/catalog/skus")).json()
    countable = {s["sku"] for s in skus if s["aggregation"] in ("sum", "max", "last")}
    prices = (
        await admin.get("/api/v1/catalog/prices", params={"currency": "USD", "product_id": tier3, "on": PERIOD})
    ).json()
    price = next(p for p in prices if p["sku"] in countable)
    return tier3, price["sku"], Decimal(price["unit_price"])


async def reseller_on_tier3(admin: httpx.AsyncClient, tier3: str) -> tuple[str, str]:
    registered = await admin.post("/api/v1/subscriptions/resellers", json=reseller_body("US", "2021-02-01", "USD"))
    assert registered.status_code == 201, registered.text
    reseller_id = registered.json()["id"]
    ordered = await admin.post(
        "/api/v1/subscriptions/subscriptions",
        json={
            "reseller_id": reseller_id,
            "product_id": tier3,
            "kind": "paid",
            "start_at": f"{PERIOD}T00:00:00Z",
            "requested_at": f"{PERIOD}T00:00:00Z",
        },
    )
    assert ordered.status_code == 201, ordered.text
    return reseller_id, ordered.json()["id"]


async def billing_knows(admin: httpx.AsyncClient, reseller_id: str) -> bool:
    """Billing learned the subscription and its product (catalog and subscription events travel apart)."""
    response = await admin.get(f"/api/v1/billing/resellers/{reseller_id}/consumption")
    if response.status_code != 200 or not response.json():
        return False
    (row,) = response.json()
    return row["problem"] is None and Decimal(row["commitment"]) == COMMITMENT


async def report_usage(system: httpx.AsyncClient, reseller_id: str, subscription_id: str, sku: str, qty: str) -> str:
    event_id = str(uuid.uuid4())
    event = {
        "event_id": event_id,
        "reseller_id": reseller_id,
        "subscription_id": subscription_id,
        "customer_id": str(uuid.uuid4()),
        "sku": sku,
        "quantity": qty,
        "measured_at": "2025-10-15T12:00:00Z",
        "source": "e2e",
    }
    answer = await system.post("/api/v1/billing/usage", json={"events": [event]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "accepted", answer.text
    return event_id


async def counted(system: httpx.AsyncClient, event_id: str) -> bool:
    fate = await system.get(f"/api/v1/billing/usage/{event_id}")
    return fate.status_code == 200 and bool(fate.json()["counted"])


async def closed_with_invoices(admin: httpx.AsyncClient, resellers: list[str]) -> bool:
    """Close the month (idempotent: a subscription whose prices were still in flight is invoiced on a re-run)."""
    closed = await admin.post("/api/v1/billing/month-closes", json={"period": PERIOD})
    assert closed.status_code == 200, closed.text
    for reseller_id in resellers:
        page = await admin.get("/api/v1/billing/invoices", params={"reseller_id": reseller_id, "period": PERIOD})
        if not page.json()["items"]:
            return False
    return True


async def invoice_of(admin: httpx.AsyncClient, reseller_id: str) -> dict[str, Any]:
    page = (await admin.get("/api/v1/billing/invoices", params={"reseller_id": reseller_id, "period": PERIOD})).json()
    (invoice,) = page["items"]
    return dict(invoice)


async def test_usage_below_the_commitment_is_topped_up_by_the_fee_and_above_it_is_billed_as_is(suite: Suite) -> None:
    system_key = await suite.key_for("system")
    async with suite.admin() as admin, suite.client(system_key) as system:
        assert (await admin.post("/api/v1/catalog/admin/services-definition/sync", json={})).status_code == 200
        tier3, sku, unit_price = await eventually(lambda: tier3_and_a_priced_sku(admin), what="the catalog")
        await eventually(lambda: _knows(admin, tier3), what="subscriptions to learn the catalog")
        below_qty = (Decimal(850) / unit_price).quantize(Decimal(1))  # usage worth about 850 USD
        above_qty = (Decimal(1150) / unit_price).quantize(Decimal(1))  # about 1,150 USD
        below, above = await reseller_on_tier3(admin, tier3), await reseller_on_tier3(admin, tier3)
        for reseller_id, _ in (below, above):
            await eventually(lambda r=reseller_id: billing_knows(admin, r), what="billing to learn the subscription")

        low = await report_usage(system, *below, sku, str(below_qty))
        high = await report_usage(system, *above, sku, str(above_qty))
        for event_id in (low, high):
            await eventually(lambda e=event_id: counted(system, e), what="the usage counted")

        await eventually(lambda: closed_with_invoices(admin, [below[0], above[0]]), what="the month closed")
        again = await admin.post("/api/v1/billing/month-closes", json={"period": PERIOD})
        assert again.json()["invoiced"] == 0  # re-running a close changes nothing

        low_invoice = (await invoice_of(admin, below[0]))["document"]
        low_usage = (below_qty * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        assert Decimal(low_invoice["usage_total"]) == low_usage < COMMITMENT
        fee_lines = [line for line in low_invoice["lines"] if line["kind"] == "commitment_fee"]
        assert [line["description"] for line in fee_lines] == ["Minimum Commitment Amount Fee"]
        assert Decimal(fee_lines[0]["amount"]) == COMMITMENT - low_usage
        assert Decimal(low_invoice["subtotal"]) == COMMITMENT
        assert low_invoice["tier"] == "Tier 3"

        high_invoice = (await invoice_of(admin, above[0]))["document"]
        high_usage = (above_qty * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        assert Decimal(high_invoice["usage_total"]) == high_usage > COMMITMENT
        assert all(line["kind"] != "commitment_fee" for line in high_invoice["lines"])
        assert Decimal(high_invoice["subtotal"]) == high_usage


async def _knows(admin: httpx.AsyncClient, product_id: str) -> bool:
    return product_id in (await products_known_to_subscriptions(admin)).values()
