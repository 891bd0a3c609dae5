"""The month, step by step, through the gateway with an admin key (and a `system` key for usage).

It runs in the calendar month before today: the services close only months that have ended, and every
change is backdated into that month with `requested_at` (admin only), as an import of the month would be.
Names carry a run tag and every id is new, so the month can be run again against the same suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx

from bss.calendar_months import period_end_instant, previous_period
from deploy.demo.billing_waits import Expected, wait_complete, wait_known
from deploy.demo.cast import CAST, FX_UNITS_PER_USD, ResellerPlan
from deploy.demo.distributor_settings import apply_settings, assign_calendars
from deploy.demo.gateway_calls import DemoError, expect, poll
from deploy.demo.tickets import TICKETS, TicketOutcome, work_ticket
from deploy.demo.usage_stream import Feed, ProgressCallback, StreamTally, month_events, stream_usage

REPORTS = ("a", "b", "c", "d", "e")
Say = Callable[[str], None]


def demo_period(today: date) -> date:
    """The month the demo runs in: the calendar month before `today` (a month must have ended to be closed)."""
    return previous_period(today)


def month_end(period: date) -> datetime:
    return period_end_instant(period)


def stamp(period: date, day: int, at: time = time(0)) -> str:
    """An instant of the month as RFC 3339 (what `requested_at` and `start_at` take)."""
    return datetime.combine(period.replace(day=day), at, tzinfo=UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Reseller:
    plan: ResellerPlan
    id: str
    legal_name: str
    refusal: dict[str, Any] | None = None  # the problem answered to the order tried first
    subscription: dict[str, Any] | None = None
    tier_change: dict[str, Any] | None = None
    invoice: dict[str, Any] | None = None

    @property
    def invoiced_tier(self) -> str:
        change = self.tier_change
        return str(change["to_tier"]) if change and change["direction"] == "upgrade" else self.plan.tier


@dataclass
class Month:
    period: date
    tag: str
    resellers: dict[str, Reseller] = field(default_factory=dict)
    fx: dict[str, str] = field(default_factory=dict)  # units per USD in force on the invoice date
    tickets: list[TicketOutcome] = field(default_factory=list)
    usage: StreamTally | None = None
    close: dict[str, Any] = field(default_factory=dict)
    credit_note: dict[str, Any] | None = None
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)

    def name_of(self, reseller_id: str) -> str | None:
        return next((r.legal_name for r in self.resellers.values() if r.id == reseller_id), None)


async def run_month(
    admin: httpx.AsyncClient,
    period: date,
    *,
    say: Say = lambda _: None,
    progress: ProgressCallback | None = None,
    tag: str | None = None,
) -> Month:
    """Register, certify, order, open tickets, change tiers, stream usage, close the month, read the reports."""
    month = Month(period=period, tag=tag or datetime.now(UTC).strftime("%H%M%S"))
    products = await contract_products(admin, period)
    await apply_settings(admin, period, products, say)
    month.fx = await ensure_fx_rates(admin, period, say)
    for plan in CAST:
        month.resellers[plan.key] = await register(admin, plan, month, say)
    await assign_calendars(admin, period, {key: r.id for key, r in month.resellers.items()}, say)
    for reseller in month.resellers.values():
        await certify(admin, reseller, period, say)
    for reseller in month.resellers.values():
        await order(admin, reseller, products, period, say)
    await support_tickets(admin, month, say)
    for reseller in month.resellers.values():
        await change_tier(admin, reseller, products, period, say)
    paid = [r for r in month.resellers.values() if r.plan.kind == "paid"]
    for reseller in paid:
        await wait_known(admin, reseller.id, period, f"{reseller.legal_name}'s subscription")
    month.usage = await report_usage(admin, month, progress)
    say(usage_summary(month.usage))
    say("  waiting until billing has counted the month for every subscription ...")
    await wait_complete(admin, [expected_invoice(r) for r in paid], period)
    await close_month(admin, month, say)
    await credit_goodwill(admin, month, say)
    month.reports = await support_reports(admin, period)
    return month


async def contract_products(admin: httpx.AsyncClient, period: date) -> dict[str, str]:
    """Tier name (as of the month) -> product id, once the subscriptions service knows all nine contract tiers."""

    async def known() -> dict[str, str] | None:
        answer = await admin.get("/api/v1/subscriptions/catalog/products", params={"as_of": period.isoformat()})
        items = expect(answer, 200, "read the contract products")
        return {item["tier"]: item["product_id"] for item in items} if len(items) >= 9 else None

    products: dict[str, str] = await poll(known, "the catalog (is it seeded? `make seed`)")
    return products


async def ensure_fx_rates(admin: httpx.AsyncClient, period: date, say: Say) -> dict[str, str]:
    """The FX rates of the invoice date for CHF and EUR; the demo publishes the ones the catalog lacks."""
    invoice_date = month_end(period).date()
    found = expect(
        await admin.get("/api/v1/catalog/fx-rates", params={"on": invoice_date.isoformat()}), 200, "read FX rates"
    )
    rates = {r["currency"]: str(r["units_per_usd"]) for r in found if r["currency"] in FX_UNITS_PER_USD}
    absent = {c: v for c, v in FX_UNITS_PER_USD.items() if c not in rates}
    if absent:
        body = {
            "effective_from": period.isoformat(),
            "rates": [{"currency": c, "units_per_usd": format(v, "f")} for c, v in sorted(absent.items())],
            "source": "make demo",
        }
        key = f"demo-fx-{period.isoformat()}-{'-'.join(sorted(absent))}"
        answer = await admin.post("/api/v1/catalog/fx-rates", json=body, headers={"Idempotency-Key": key})
        expect(answer, 201, "publish FX rates")
        rates.update({c: format(v, "f") for c, v in absent.items()})
    say("  FX rates (units per USD): " + ", ".join(f"{c} {v}" for c, v in sorted(rates.items())))
    return rates


async def register(admin: httpx.AsyncClient, plan: ResellerPlan, month: Month, say: Say) -> Reseller:
    name = f"{plan.legal_name} #{month.tag}"
    body = {
        "legal_name": name,
        "billing_email": f"billing@{plan.key}.reseller.example",
        "billing_address": {"lines": ["1 Harbour Road"], "city": plan.city, "country": plan.country},
        "country": plan.country,
        "partner_since": plan.partner_since.isoformat(),
        "billing_currency": plan.currency,
        "contract_signed_on": plan.partner_since.isoformat(),
        "requested_at": stamp(month.period, 1),
    }
    created = expect(await admin.post("/api/v1/subscriptions/resellers", json=body), 201, f"register {name}")
    say(f"  registered  {name:<45} {plan.country}  {plan.currency}  partner since {plan.partner_since}")
    return Reseller(plan=plan, id=created["id"], legal_name=name)


async def certify(admin: httpx.AsyncClient, reseller: Reseller, period: date, say: Say) -> None:
    """Record the reseller's certified engineers (two make a certified service provider: no ticket fee)."""
    certified_on = (period - timedelta(days=120)).isoformat()
    answer: dict[str, Any] = {"certified": False}
    for number in range(1, reseller.plan.certified_engineers + 1):
        path = f"/api/v1/support/resellers/{reseller.id}/certified-employees"
        body = {"name": f"Engineer {number} of {reseller.plan.legal_name}", "certified_on": certified_on}

        async def recorded(path: str = path, body: dict[str, str] = body) -> dict[str, Any] | None:
            response = await admin.post(path, json=body)
            return None if response.status_code == 404 else expect(response, 201, "record a certified engineer")

        answer = await poll(recorded, f"support to know {reseller.legal_name}")
    status = "certified" if answer["certified"] else "NOT certified (pays a fee per ticket)"
    say(f"  support     {reseller.legal_name:<45} {reseller.plan.certified_engineers} certified engineer(s): {status}")


async def refused_order(
    admin: httpx.AsyncClient, reseller: Reseller, tier: str, product_id: str, when: str, say: Say
) -> None:
    """An order the catalog's rules refuse (the Tier 1 region rule): the problem's detail says why."""
    body = {"reseller_id": reseller.id, "product_id": product_id, "requested_at": when}
    refused = await admin.post("/api/v1/subscriptions/subscriptions", json=body)
    reseller.refusal = expect(refused, 422, f"order {tier} (refused by the region rule)")
    say(f"  refused     {reseller.legal_name:<45} {tier}: {reseller.refusal['detail']}")


async def order(admin: httpx.AsyncClient, reseller: Reseller, products: dict[str, str], period: date, say: Say) -> None:
    plan = reseller.plan
    when = stamp(period, plan.start_day)
    if plan.tries_first:
        await refused_order(admin, reseller, plan.tries_first, products[plan.tries_first], when, say)
    body: dict[str, Any] = {
        "reseller_id": reseller.id,
        "product_id": products[plan.tier],
        "kind": plan.kind,
        "start_at": when,
        "requested_at": when,
    }
    if plan.ramp_up_cycles is not None:
        body["ramp_up_cycles"] = plan.ramp_up_cycles

    async def placed() -> dict[str, Any] | None:
        response = await admin.post("/api/v1/subscriptions/subscriptions", json=body)
        if response.status_code == 422 and "currency_not_priceable" in response.json().get("rules", []):
            return None  # the subscriptions service has not learned the FX rate yet
        return dict(expect(response, 201, f"order {plan.tier} for {reseller.legal_name}"))

    reseller.subscription = await poll(placed, f"an order of {reseller.legal_name}")
    ramp = f", ramp-up {plan.ramp_up_cycles} month" if plan.ramp_up_cycles else ""
    say(f"  ordered     {reseller.legal_name:<45} {plan.tier} ({plan.kind}{ramp}) from {when[:10]}")


async def support_tickets(admin: httpx.AsyncClient, month: Month, say: Say) -> None:
    """Open, answer and resolve the month's tickets once support knows each reseller's subscription (a ticket
    fee is billed to the subscription)."""
    for plan in TICKETS:
        reseller = month.resellers[plan.reseller]

        async def subscription_known(reseller: Reseller = reseller) -> bool:
            answer = await admin.get(f"/api/v1/support/resellers/{reseller.id}")
            return answer.status_code == 200 and answer.json()["subscription_id"] is not None

        await poll(subscription_known, f"support to know {reseller.legal_name}'s subscription")
        outcome = await work_ticket(admin, plan, reseller.id, month.period)
        month.tickets.append(outcome)
        first = outcome.target("first_response")
        say(
            f'  ticket      {reseller.legal_name:<45} {plan.severity} "{plan.subject}": first response '
            f"{first['state']}, now {outcome.ticket['state']}"
        )


async def change_tier(
    admin: httpx.AsyncClient, reseller: Reseller, products: dict[str, str], period: date, say: Say
) -> None:
    change = reseller.plan.tier_change
    if change is None or reseller.subscription is None:
        return
    body = {"product_id": products[change.to_tier], "requested_at": stamp(period, change.day, time(10))}
    path = f"/api/v1/subscriptions/subscriptions/{reseller.subscription['id']}/tier-change"
    reseller.tier_change = expect(await admin.post(path, json=body), 200, f"change {reseller.legal_name}'s tier")
    answer = reseller.tier_change
    say(
        f"  {answer['direction']:<11} {reseller.legal_name:<45} {answer['from_tier']} -> {answer['to_tier']} "
        f"on day {change.day}: billed at {answer['to_tier']} from {answer['effective_from']}"
    )


async def report_usage(admin: httpx.AsyncClient, month: Month, progress: ProgressCallback | None) -> StreamTally:
    """Stream the month's readings with a `system` key, as a usage collector would."""
    expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = {"name": f"make demo usage collector #{month.tag}", "role": "system", "expires_at": expires}
    token = expect(await admin.post("/gateway/v1/keys", json=body), 201, "create a usage collector key")["token"]
    feeds = [
        Feed(r.id, r.subscription["id"], r.plan.customers, datetime.fromisoformat(r.subscription["started_at"]))
        for r in month.resellers.values()
        if r.subscription is not None
    ]
    events = month_events(feeds, month_end(month.period))
    headers = {"X-API-Key": token}
    async with httpx.AsyncClient(base_url=admin.base_url, headers=headers, timeout=admin.timeout) as collector:
        return await stream_usage(collector, events, progress)


def usage_summary(tally: StreamTally) -> str:
    text = f"  usage       {tally.sent:,} readings sent: {tally.accepted:,} accepted, {tally.rejected:,} rejected"
    return text + "".join(f"\n                ({count:,} x {reason})" for reason, count in tally.reasons.items())


def expected_invoice(reseller: Reseller) -> Expected:
    assert reseller.subscription is not None
    quantities: dict[str, Decimal] = {}
    for customer in reseller.plan.customers:
        for sku, value in customer.figures().items():
            quantities[sku] = quantities.get(sku, Decimal(0)) + value
    fees = 0 if reseller.plan.certified_engineers >= 2 else sum(1 for t in TICKETS if t.reseller == reseller.plan.key)
    return Expected(reseller.id, reseller.subscription["id"], reseller.invoiced_tier, quantities, fees)


async def close_month(admin: httpx.AsyncClient, month: Month, say: Say) -> None:
    body = {"period": month.period.isoformat()}
    month.close = expect(await admin.post("/api/v1/billing/month-closes", json=body), 200, "close the month")
    say(f"  closed      {month.period:%B %Y}: {month.close['invoiced']} invoice(s) issued")
    for reseller in month.resellers.values():
        params = {"reseller_id": reseller.id, "period": month.period.isoformat()}
        page = expect(await admin.get("/api/v1/billing/invoices", params=params), 200, "read the invoices")
        if len(page["items"]) > 1:
            raise DemoError(f"{reseller.legal_name} has {len(page['items'])} invoices for the month")
        reseller.invoice = page["items"][0] if page["items"] else None


GOODWILL = "10"
"""The demo's goodwill credit, in the invoice's currency (10 CHF, 10 EUR, 10 JPY: within any open amount)."""


async def credit_goodwill(admin: httpx.AsyncClient, month: Month, say: Say) -> None:
    """A credit note against one invoice (the FX-billed one if any): a goodwill gesture for a ticket of the month,
    so the month has a credit note to read as PDF, CSV and EN 16931 XML."""
    invoiced = [r for r in month.resellers.values() if r.invoice and r.invoice["status"] == "issued"]
    if not invoiced:
        return
    chosen = next((r for r in invoiced if r.invoice and r.invoice["currency"] == "CHF"), invoiced[0])
    assert chosen.invoice is not None
    body = {
        "lines": [{"description": f"Goodwill for the support ticket of {month.period:%B %Y}", "amount": GOODWILL}],
        "reason": "Goodwill gesture after a service disruption.",
    }
    url = f"/api/v1/billing/invoices/{chosen.invoice['invoice_id']}/credit-notes"
    month.credit_note = expect(await admin.post(url, json=body), 201, "issue a credit note")
    say(
        f"  credited    {chosen.legal_name}: credit note {month.credit_note['number']} of "
        f"{month.credit_note['total']} against {chosen.invoice['number']}"
    )


async def support_reports(admin: httpx.AsyncClient, period: date) -> dict[str, dict[str, Any]]:
    params = {"from": stamp(period, 1), "to": month_end(period).isoformat().replace("+00:00", "Z")}
    return {
        report: expect(await admin.get(f"/api/v1/support/reports/{report}", params=params), 200, "read a report")
        for report in REPORTS
    }
