"""One suite, resellers in six countries at once, everything set through the gateway's admin API as a
distributor's finance admin would (docs/domain.md, "Settings as data", "Tax", "FX rates", "Distributor cost
factor").

A German distributor sells to resellers in DE, JP, US, GB, CH and SE. Each invoice carries its buyer country's
tax, or the EU reverse charge for the Swedish business with a valid VAT id; the CHF and SEK resellers are rated
from the EUR price list and converted; the distributor's cost uses per-tier discounts and a Tier 1 program that
starts and ends inside the three months closed; each reseller's ticket runs on the SLA calendar assigned to it
(zone, working days, public holidays), checked against a computation from the `holidays` package alone.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from holidays import country_holidays

from bss.calendar_months import next_period, previous_period
from deploy.demo.billing_waits import wait_known
from deploy.demo.gateway_calls import poll
from tests.e2e.conftest import Suite

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

TODAY = datetime.now(UTC).date()
LAST = previous_period(TODAY)  # the three months closed, oldest first
MONTHS = (previous_period(previous_period(LAST)), previous_period(LAST), LAST)
FIRST = MONTHS[0]
WORKSTATIONS = "CSP-WORKSTATIONS"
REVERSE_CHARGE = (
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."
)
OUTSIDE_EU = "Not subject to German VAT: the service is supplied where the recipient is established."
TAX = {"DE": "19", "*": "0"}
FX = {
    "EUR": "0.9200",
    "CHF": "0.8412",
    "SEK": "10.4500",
    "GBP": "0.7900",
    "JPY": "150.25",
}  # per USD, before the months


@dataclass(frozen=True)
class Calendar:
    name: str
    time_zone: str
    subdivision: str | None = None
    working_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Plan:
    country: str
    currency: str
    tier: str
    calendar: Calendar
    vat_id: str | None = None


PLANS = {
    "us": Plan("US", "USD", "Tier 3", Calendar("new-york", "America/New_York", "NY")),
    "de": Plan("DE", "EUR", "Tier 2", Calendar("berlin", "Europe/Berlin", "BE"), "DE136695976"),
    "jp": Plan("JP", "JPY", "Tier 3", Calendar("tokyo", "Asia/Tokyo", None, (0, 1, 2, 3, 4, 5))),
    "gb": Plan("GB", "GBP", "Tier 3", Calendar("london", "Europe/London", "ENG")),
    "ch": Plan("CH", "CHF", "Tier 3", Calendar("zurich", "Europe/Zurich", "ZH")),
    "se": Plan("SE", "SEK", "Tier 3", Calendar("stockholm", "Europe/Stockholm"), "SE556703748501"),
}
OPENED = datetime.combine(MONTHS[1].replace(day=3), time(7, 30), tzinfo=UTC)  # the same instant everywhere


@dataclass
class World:
    products: dict[str, str]
    resellers: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, str] = field(default_factory=dict)
    invoices: dict[tuple[str, date], dict[str, Any]] = field(default_factory=dict)
    margins: dict[date, dict[str, Any]] = field(default_factory=dict)
    slas: dict[str, dict[str, Any]] = field(default_factory=dict)


def at(day: date, hour: int = 0) -> str:
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat().replace("+00:00", "Z")


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def setting(admin: httpx.AsyncClient, path: str, value: dict[str, Any], effective_from: date) -> None:
    body = {"value": value, "effective_from": effective_from.isoformat(), "reason": "five countries"}
    expect(await admin.put(f"/api/v1/billing/settings/{path}", json=body), 200)


async def distributor_settings(admin: httpx.AsyncClient, world: World) -> None:
    seller = {"legal_name": "Cloud Distribution GmbH", "country": "DE", "vat_id": "DE136695976"}
    await setting(admin, "seller/distributor", seller, FIRST)
    await setting(admin, "tax-rates/DE", {"rate_percent": TAX["DE"]}, FIRST)
    await setting(admin, "tax-rates/*", {"rate_percent": TAX["*"], "note": OUTSIDE_EU}, FIRST)
    await setting(admin, "price-list-currencies/*", {"currency": "EUR"}, FIRST)
    await setting(admin, "distributor-discounts/*", {"percent": "30"}, FIRST)
    await setting(admin, f"distributor-discounts/tier:{world.products['Tier 3']}", {"percent": "35"}, FIRST)
    await setting(admin, f"distributor-discounts/tier:{world.products['Tier 2']}", {"percent": "32"}, FIRST)


async def tier_one_program(admin: httpx.AsyncClient, world: World) -> None:
    """The US reseller's Tier 1 program: from the second month's 1st to the 15th of the third."""
    path = f"tier-one-program/{world.resellers['us']}"
    await setting(admin, path, {"discount_percent": "10"}, MONTHS[1])
    ended = await admin.delete(
        f"/api/v1/billing/settings/{path}",
        params={"effective_from": MONTHS[2].replace(day=15).isoformat(), "reason": "five countries"},
    )
    expect(ended, 200)


async def support_calendars(admin: httpx.AsyncClient, world: World) -> None:
    """Each reseller's SLA calendar: its own time zone, working days and public holidays, from the first month."""
    for key, plan in PLANS.items():
        cal = plan.calendar
        value = {
            "time_zone": cal.time_zone,
            "working_weekdays": list(cal.working_weekdays),
            "country": plan.country,
            "subdivision": cal.subdivision,
        }
        body = {"value": value, "effective_from": FIRST.isoformat(), "reason": "five countries"}
        expect(await admin.put(f"/api/v1/support/settings/sla-calendars/{cal.name}", json=body), 200)
        assignment = {"value": {"calendar": cal.name}, "effective_from": FIRST.isoformat(), "reason": "five countries"}
        path = f"/api/v1/support/settings/sla-calendar-assignments/{world.resellers[key]}"
        expect(await admin.put(path, json=assignment), 200)


async def open_tickets(admin: httpx.AsyncClient, world: World) -> None:
    """A severity A ticket per reseller, all opened at the same instant (recorded by an admin, backdated)."""
    for key in PLANS:
        body = {
            "subject": "Recovery fails",
            "description": "Every recovery of the file server fails.",
            "product": "Acronis Cyber Protect Cloud",
            "severity": "A",
            "reseller_id": world.resellers[key],
            "requested_at": OPENED.isoformat().replace("+00:00", "Z"),
        }

        async def opened(body: dict[str, Any] = body) -> dict[str, Any] | None:
            response = await admin.post("/api/v1/support/tickets", json=body)
            return None if response.status_code == 404 else dict(expect(response, 201))  # support learns resellers

        ticket = await poll(opened, f"support to know the {key} reseller")
        world.slas[key] = expect(await admin.get(f"/api/v1/support/tickets/{ticket['id']}/sla"), 200)


async def publish_fx(admin: httpx.AsyncClient) -> None:
    body = {
        "effective_from": (FIRST - timedelta(days=1)).isoformat(),
        "rates": [{"currency": c, "units_per_usd": v} for c, v in sorted(FX.items())],
        "source": "five countries",
    }
    expect(await admin.post("/api/v1/catalog/fx-rates", json=body), 201)


async def register_and_order(admin: httpx.AsyncClient, world: World) -> None:
    for key, plan in PLANS.items():
        body: dict[str, Any] = {
            "legal_name": f"Reseller {plan.country} {uuid.uuid4().hex[:6]}",
            "billing_email": f"billing@{key}.example",
            "billing_address": {"lines": ["1 Main Street"], "city": "Capital", "country": plan.country},
            "country": plan.country,
            "partner_since": "2020-01-01",
            "billing_currency": plan.currency,
            "contract_signed_on": "2020-01-01",
            "tax_id": plan.vat_id,
            "requested_at": at(FIRST),
        }
        world.resellers[key] = expect(await admin.post("/api/v1/subscriptions/resellers", json=body), 201)["id"]
    for key, plan in PLANS.items():
        order = {
            "reseller_id": world.resellers[key],
            "product_id": world.products[plan.tier],
            "kind": "paid",
            "start_at": at(FIRST),
            "requested_at": at(FIRST),
        }

        async def placed(order: dict[str, Any] = order) -> dict[str, Any] | None:
            response = await admin.post("/api/v1/subscriptions/subscriptions", json=order)
            if response.status_code == 422 and "currency_not_priceable" in response.json().get("rules", []):
                return None  # subscriptions has not learned the FX rates yet
            return dict(expect(response, 201))

        world.subscriptions[key] = (await poll(placed, f"the {key} order"))["id"]


async def report_usage(suite: Suite, world: World) -> None:
    """400 workstations at the peak of each month, for every subscription (a `system` key, as a collector)."""
    async with suite.admin() as admin:
        for key in PLANS:  # until billing knows the subscription, its usage would be refused
            await wait_known(admin, world.resellers[key], FIRST, f"the {key} subscription")
    token = await suite.key_for("system")
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "reseller_id": world.resellers[key],
            "subscription_id": world.subscriptions[key],
            "customer_id": world.resellers[key],
            "sku": WORKSTATIONS,
            "quantity": "400",
            "measured_at": at(month.replace(day=10), 12),
            "source": "five-countries",
        }
        for key in PLANS
        for month in MONTHS
    ]
    async with suite.client(token) as collector:
        answer = expect(await collector.post("/api/v1/billing/usage", json={"events": events}), 200)
    assert all(r["status"] == "accepted" for r in answer["results"]), answer


async def close_months(admin: httpx.AsyncClient, world: World) -> None:
    for month in MONTHS:

        async def counted(month: date = month) -> bool | None:
            for key in PLANS:
                path = f"/api/v1/billing/resellers/{world.resellers[key]}/consumption"
                rows = expect(await admin.get(path, params={"period": month.isoformat()}), 200)
                lines = rows[0]["estimated_invoice"]["lines"] if rows else []
                if not any(line["kind"] == "usage" for line in lines):
                    return None
            return True

        await poll(counted, f"billing to count {month:%Y-%m}")
        closed = expect(await admin.post("/api/v1/billing/month-closes", json={"period": month.isoformat()}), 200)
        assert (closed["invoiced"], closed["failed"]) == (len(PLANS), []), closed
        for key in PLANS:
            params = {"reseller_id": world.resellers[key], "period": month.isoformat()}
            [invoice] = expect(await admin.get("/api/v1/billing/invoices", params=params), 200)["items"]
            world.invoices[(key, month)] = invoice["document"]
        params = {"period": month.isoformat()}
        world.margins[month] = expect(await admin.get("/api/v1/billing/distributor/margins", params=params), 200)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(suite: Suite) -> AsyncIterator[World]:
    async with suite.admin() as admin:
        expect(await admin.post("/api/v1/catalog/admin/services-definition/sync", json={}), 200)

        async def tiers() -> dict[str, str] | None:
            answer = await admin.get("/api/v1/subscriptions/catalog/products", params={"as_of": FIRST.isoformat()})
            items = expect(answer, 200)
            return {i["tier"]: i["product_id"] for i in items} if len(items) >= 9 else None

        found = World(products=await poll(tiers, "the contract tiers"))
        await distributor_settings(admin, found)
        await publish_fx(admin)
        await register_and_order(admin, found)
        await tier_one_program(admin, found)
        await support_calendars(admin, found)
        await open_tickets(admin, found)
        await report_usage(suite, found)
        await close_months(admin, found)
        yield found


def money(amount: Decimal, currency: str) -> Decimal:
    unit = Decimal(1) if currency == "JPY" else Decimal("0.01")
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


async def test_each_invoice_carries_its_buyer_countrys_tax_or_the_reverse_charge(world: World) -> None:
    for key, plan in PLANS.items():
        for month in MONTHS:
            doc = world.invoices[(key, month)]
            subtotal = Decimal(doc["subtotal"])
            if key == "se":  # a Swedish business with a valid VAT id, a German seller: reverse charge
                assert (doc["tax_treatment"], doc["tax_rate"], doc["tax_note"]) == (
                    "reverse_charge",
                    "0",
                    REVERSE_CHARGE,
                )
            elif key == "de":
                assert (doc["tax_treatment"], Decimal(doc["tax_rate"])) == ("standard", Decimal(19))
                assert doc["tax_note"] is None
            else:
                assert (doc["tax_treatment"], Decimal(doc["tax_rate"]), doc["tax_note"]) == ("standard", 0, OUTSIDE_EU)
            rate = Decimal(doc["tax_rate"])
            assert Decimal(doc["tax"]) == money(subtotal * rate / 100, plan.currency)
            assert Decimal(doc["total"]) == subtotal + Decimal(doc["tax"])


async def test_chf_and_sek_resellers_are_rated_from_the_eur_price_list_and_converted(world: World) -> None:
    eur_per_usd = Decimal(FX["EUR"])
    for key in ("ch", "se"):
        currency = PLANS[key].currency
        doc = world.invoices[(key, LAST)]
        assert (doc["price_list_currency"], doc["currency"]) == ("EUR", currency)
        assert Decimal(doc["fx"]["rate"]) == (Decimal(FX[currency]) / eur_per_usd).quantize(Decimal(doc["fx"]["rate"]))
        [line] = [line for line in doc["lines"] if line["kind"] == "usage"]
        rated_in_eur = money(Decimal(line["quantity"]) * Decimal(line["unit_price"]), "EUR")
        assert Decimal(line["amount"]) == money(rated_in_eur * Decimal(doc["fx"]["rate"]), currency)
    # A reseller billed in a price-list currency is rated in it, without FX.
    for key in ("us", "de", "jp", "gb"):
        doc = world.invoices[(key, LAST)]
        assert (doc["price_list_currency"], doc["fx"]) == (PLANS[key].currency, None)


async def test_the_distributor_cost_uses_per_tier_discounts_and_a_tier_one_program_inside_the_year(
    world: World,
) -> None:
    def cost_of(month: date, key: str) -> Decimal:
        [row] = [r for r in world.margins[month]["per_reseller"] if r["reseller_id"] == world.resellers[key]]
        return Decimal(row["cost"])

    def usage_of(month: date, key: str) -> Decimal:
        doc = world.invoices[(key, month)]
        return sum((Decimal(line["amount"]) for line in doc["lines"] if line["kind"] == "usage"), Decimal(0))

    for month in MONTHS:
        # Tier 2 (DE): its tier's 32 %; Tier 3 (GB): 35 %. The fee carries no vendor cost.
        assert cost_of(month, "de") == money(usage_of(month, "de") * Decimal("0.68"), "EUR")
        assert cost_of(month, "gb") == money(usage_of(month, "gb") * Decimal("0.65"), "GBP")
    # The US reseller's Tier 1 program: the second month only (it ends on the 15th of the third).
    factors = {MONTHS[0]: Decimal("0.65"), MONTHS[1]: Decimal("0.65") * Decimal("0.9"), MONTHS[2]: Decimal("0.65")}
    for month, factor in factors.items():
        assert cost_of(month, "us") == money(usage_of(month, "us") * factor, "USD"), month


async def test_the_settings_trail_lists_every_change_and_reads_back_as_of_a_month(suite: Suite, world: World) -> None:
    async with suite.admin() as admin:
        trail = expect(await admin.get("/api/v1/billing/settings/changes", params={"limit": 500}), 200)["items"]
        mine = [c for c in trail if c["recorded_by"] != "seed:environment"]
        assert len(mine) == 9  # seller, 2 tax rates, price list, 3 discounts, the program and its end
        assert {c["reason"] for c in mine} == {"five countries"}
        program = f"/api/v1/billing/settings/tier-one-program/{world.resellers['us']}"
        assert (await admin.get(program, params={"as_of": MONTHS[1].isoformat()})).status_code == 200
        assert (await admin.get(program, params={"as_of": next_period(LAST).isoformat()})).status_code == 404
        late = await admin.put(
            "/api/v1/billing/settings/tax-rates/DE",
            json={"value": {"rate_percent": "16"}, "effective_from": LAST.isoformat()},
        )
        assert late.status_code == 409, late.text  # the month is invoiced: its tax cannot change any more
        assert late.json()["earliest_effective_from"] == next_period(LAST).isoformat()


def business_days_due(plan: Plan, opened: datetime, days: int) -> datetime:
    """N business days at the same local time, computed here from the `holidays` package and the zone alone
    (docs/domain.md, "Business days"): the independent check of the calendar each ticket ran on."""
    cal = plan.calendar
    zone = ZoneInfo(cal.time_zone)
    off = country_holidays(plan.country, subdiv=cal.subdivision, years=range(opened.year, opened.year + 2))

    def business(day: date) -> bool:
        return day.weekday() in cal.working_weekdays and day not in off

    local = opened.astimezone(zone)
    day, at_time = local.date(), local.time()
    if not business(day):  # a ticket opened on a day off starts at 00:00 of the next business day
        day += timedelta(days=1)
        while not business(day):
            day += timedelta(days=1)
        at_time = time(0)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        counted += business(day)
    return datetime.combine(day, at_time, tzinfo=zone).astimezone(UTC)


async def test_each_ticket_runs_on_its_resellers_calendar_from_the_moment_it_opens(world: World) -> None:
    dues = {}
    for key, plan in PLANS.items():
        sla = world.slas[key]
        assert sla["calendar_name"] == plan.calendar.name
        [resolution] = [t for t in sla["targets"] if t["target"] == "permanent_resolution"]
        due = datetime.fromisoformat(resolution["due_at"])
        assert due == business_days_due(plan, OPENED, 15), (key, sla["calendar"])
        dues[key] = due
    assert len(set(dues.values())) > 1  # the same opening instant, different calendars, different due times
