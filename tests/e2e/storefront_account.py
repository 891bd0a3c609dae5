"""A reseller with history, made through the gateway the way an admin imports one: what the storefront shows.

Registered and subscribed to Tier 3 since the 1st of last month (backdated), with usage last month and this
month from two customers, last month closed with an issued invoice, a ticket opened last month whose first
response came two days late (an SLA breach), and a ticket opened this month by the reseller itself. A newcomer:
registered today, with no contract yet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import Suite
from tests.e2e.test_reseller_onboarding import products_known_to_subscriptions, reseller_body
from tests.harness.polling import eventually

CURRENCY = "EUR"  # the support ticket fee is priced in EUR: no FX rate is needed to bill it
TICKET = {
    "subject": "Hyper-V recovery fails",
    "description": "Recovery of every Hyper-V machine fails with 'Archive is corrupted'.",
    "product": "Acronis Cyber Protect Cloud",
    "severity": "B",
}


@dataclass(frozen=True)
class Account:
    reseller_id: str
    legal_name: str
    key: str
    subscription_id: str
    products: dict[str, str]  # tier name -> product id
    last_month: date
    invoice: dict[str, Any]
    ticket: dict[str, Any]


def month_start(on: date) -> date:
    return on.replace(day=1)


def previous_month(on: date) -> date:
    return month_start(month_start(on) - timedelta(days=1))


def instant(on: date, hour: int = 0) -> str:
    return datetime(on.year, on.month, on.day, hour, tzinfo=UTC).isoformat()


async def contract_tiers(admin: httpx.AsyncClient) -> dict[str, str] | None:
    """Tier name -> product id, once subscriptions learned all nine contract products from the catalog."""
    products = await products_known_to_subscriptions(admin)
    tiers = {name.rsplit(" - ", 1)[-1]: pid for name, pid in products.items()}
    return tiers if len(tiers) == 9 else None


async def priced_skus(admin: httpx.AsyncClient, product_id: str, on: date) -> list[str] | None:
    """Two SKUs with a sum/max/last rule and a price for the tier in the account's currency."""
    skus = (await admin.get("/api/v1/catalog/skus")).json()
    countable = {s["sku"] for s in skus if s["aggregation"] in ("sum", "max", "last")}
    prices = await admin.get(
        "/api/v1/catalog/prices", params={"currency": CURRENCY, "product_id": product_id, "on": on.isoformat()}
    )
    priced = sorted({p["sku"] for p in prices.json() if p["sku"] in countable})
    return priced[:2] if len(priced) >= 2 else None


async def register(admin: httpx.AsyncClient, since: date) -> tuple[str, str]:
    """A German reseller billed in EUR, registered on `since`: its id and legal name."""
    body = reseller_body("DE", "2021-02-01", CURRENCY) | {"requested_at": instant(since)}
    registered = await admin.post("/api/v1/subscriptions/resellers", json=body)
    assert registered.status_code == 201, registered.text
    return registered.json()["id"], body["legal_name"]


async def newcomer(suite: Suite) -> tuple[str, str, str]:
    """A reseller registered today without a contract, and its key: id, legal name, key."""
    async with suite.admin() as admin:
        reseller_id, legal_name = await register(admin, datetime.now(UTC).date())
    return reseller_id, legal_name, await suite.key_for("reseller", reseller_id)


async def register_and_subscribe(admin: httpx.AsyncClient, tier3: str, since: date) -> tuple[str, str, str]:
    reseller_id, legal_name = await register(admin, since)
    ordered = await admin.post(
        "/api/v1/subscriptions/subscriptions",
        json={
            "reseller_id": reseller_id,
            "product_id": tier3,
            "kind": "paid",
            "start_at": instant(since),
            "requested_at": instant(since),
        },
    )
    assert ordered.status_code == 201, ordered.text
    return reseller_id, legal_name, ordered.json()["id"]


async def billing_bills(admin: httpx.AsyncClient, reseller_id: str) -> bool:
    response = await admin.get(f"/api/v1/billing/resellers/{reseller_id}/consumption")
    rows = response.json() if response.status_code == 200 else []
    return len(rows) == 1 and rows[0]["problem"] is None and rows[0]["tier"] == "Tier 3"


async def report_usage(system: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    answer = await system.post("/api/v1/billing/usage", json={"events": events})
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == len(events), answer.text

    async def all_counted() -> bool:
        for event in events:
            fate = await system.get(f"/api/v1/billing/usage/{event['event_id']}")
            if fate.status_code != 200 or not fate.json()["counted"]:
                return False
        return True

    await eventually(all_counted, what="the usage counted")


def usage_events(reseller_id: str, subscription_id: str, skus: list[str], now: datetime) -> list[dict[str, Any]]:
    """Last month: one customer on one SKU. This month: two customers on two SKUs."""
    customers = [str(uuid.uuid4()), str(uuid.uuid4())]
    last_month = previous_month(now.date())
    this_month = max(now - timedelta(minutes=5), datetime.combine(month_start(now.date()), datetime.min.time(), UTC))
    rows = [(customers[0], skus[0], "120", datetime.combine(last_month, datetime.min.time(), UTC) + timedelta(days=9))]
    rows += [(customers[0], skus[0], "300", this_month), (customers[1], skus[0], "200", this_month)]
    rows += [(customers[0], skus[1], "40", this_month), (customers[1], skus[1], "25", this_month)]
    return [
        {
            "event_id": str(uuid.uuid4()),
            "reseller_id": reseller_id,
            "subscription_id": subscription_id,
            "customer_id": customer,
            "sku": sku,
            "quantity": quantity,
            "measured_at": at.isoformat(),
            "source": "e2e-storefront",
        }
        for customer, sku, quantity, at in rows
    ]


async def late_answered_ticket(admin: httpx.AsyncClient, reseller_id: str, last_month: date) -> None:
    """Opened on the 5th of last month, answered two days later (severity A: 4 hours), resolved the day after."""
    opened_at = last_month.replace(day=5)

    async def opened() -> httpx.Response | None:
        body = TICKET | {
            "subject": "Backups stopped last month",
            "severity": "A",
            "reseller_id": reseller_id,
            "requested_at": instant(opened_at, 9),
        }
        response = await admin.post("/api/v1/support/tickets", json=body)
        return response if response.status_code == 201 else None

    ticket = (await eventually(opened, what="support to know the reseller")).json()
    reply = {"body": "Please send the logs.", "requested_at": instant(opened_at + timedelta(days=2), 9)}
    answered = await admin.post(f"/api/v1/support/tickets/{ticket['id']}/messages", json=reply)
    assert answered.status_code == 201, answered.text
    resolve = {"state": "resolved", "resolution": "solved", "requested_at": instant(opened_at + timedelta(days=3), 9)}
    resolved = await admin.post(f"/api/v1/support/tickets/{ticket['id']}/state", json=resolve)
    assert resolved.status_code == 200, resolved.text


async def closed_month_invoice(admin: httpx.AsyncClient, reseller_id: str, period: date) -> dict[str, Any] | None:
    closed = await admin.post("/api/v1/billing/month-closes", json={"period": period.isoformat()})
    assert closed.status_code == 200, closed.text
    query = {"reseller_id": reseller_id, "period": period.isoformat()}
    items = (await admin.get("/api/v1/billing/invoices", params=query)).json()["items"]
    return dict(items[0]) if items and items[0]["status"] == "issued" else None


async def consumption_with_ticket_fee(
    reseller: httpx.AsyncClient, reseller_id: str, ticket_id: str
) -> dict[str, Any] | None:
    """This month's view once billing has both the usage and the fee of the reseller's own ticket."""
    rows = (await reseller.get(f"/api/v1/billing/resellers/{reseller_id}/consumption")).json()
    if len(rows) != 1 or rows[0]["problem"] is not None:
        return None
    lines = rows[0]["estimated_invoice"]["lines"]
    usage = [line for line in lines if line["kind"] == "usage"]
    fee = [line for line in lines if line["kind"] == "support_charge" and line["ticket_id"] == ticket_id]
    return dict(rows[0]) if len(usage) == 2 and fee else None


async def make_account(suite: Suite) -> Account:
    now = datetime.now(UTC)
    last_month = previous_month(now.date())
    system_key = await suite.key_for("system")
    async with suite.admin() as admin, suite.client(system_key) as system:
        synced = await admin.post("/api/v1/catalog/admin/services-definition/sync", json={})
        assert synced.status_code == 200, synced.text
        tiers = await eventually(lambda: contract_tiers(admin), what="subscriptions to learn the catalog")
        skus = await eventually(lambda: priced_skus(admin, tiers["Tier 3"], now.date()), what="priced SKUs")
        reseller_id, legal_name, subscription_id = await register_and_subscribe(admin, tiers["Tier 3"], last_month)
        await eventually(lambda: billing_bills(admin, reseller_id), what="billing to learn the subscription")
        await report_usage(system, usage_events(reseller_id, subscription_id, skus, now))
        await late_answered_ticket(admin, reseller_id, last_month)
        invoice = await eventually(lambda: closed_month_invoice(admin, reseller_id, last_month), what="the close")
    key = await suite.key_for("reseller", reseller_id)
    async with suite.client(key) as reseller:
        ticket = await reseller.post("/api/v1/support/tickets", json=TICKET)
        assert ticket.status_code == 201, ticket.text
        ticket_id = ticket.json()["id"]
        await eventually(
            lambda: consumption_with_ticket_fee(reseller, reseller_id, ticket_id), what="billing to see the fee"
        )
    return Account(reseller_id, legal_name, key, subscription_id, tiers, last_month, invoice, ticket.json())


def money(amount: str | Decimal, currency: str = CURRENCY) -> str:
    """As the page shows an amount: thousands separated, the currency's two decimals (EUR)."""
    return f"{Decimal(amount):,.2f} {currency}"
