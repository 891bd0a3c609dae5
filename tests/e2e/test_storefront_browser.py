"""The storefront pages in a real browser: Debian's Chromium driven by Playwright, against the whole suite.

The reseller signs in with its key and sees its tier, this month's usage as charts and the estimated invoice,
downloads last month's invoice as PDF, sees its tickets' SLA due times and orders an upgrade; a link opens last
month (its invoice with a status badge and downloads, its tickets) and the month picker this month (the projection's
sentence, chart and invoice column agree); the 12-month invoice history charts the totals; a reseller without a
contract is told what to do, with no empty chart. The admin sees the distributor's month (revenue, cost, margin)
and the SLA breach. Without /usr/bin/chromium the tests skip, unless
BSS_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from bss.calendar_months import next_period
from deploy.demo.distributor_settings import NOT_SUBJECT_TO_GERMAN_VAT, SELLER
from tests.e2e.conftest import ADMIN_KEY, Suite
from tests.e2e.storefront_account import CURRENCY, Account, make_account, money, month_start, newcomer
from tests.harness.browser import REQUIRE, require_chromium

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
WAIT_MS = 30_000  # billing follows a tier change through the broker
EXPECTED_REFUSAL = "status of 401"  # the browser logs the refused sign-in with a wrong key
# The admin page asks support for its settings and leaves them out while support answers 404 (not served yet).
SUPPORT_SETTINGS = "/api/v1/support/settings"
EXPECTED_ABSENT = f"404 {SUPPORT_SETTINGS}"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    chromium = require_chromium()
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=str(chromium), headless=True)
        yield instance
        await instance.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def account(suite: Suite) -> Account:
    return await make_account(suite)


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC")
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda message: errors.append(console_error(message)) if message.type == "error" else None)
    yield opened
    await context.close()
    unexpected = [error for error in errors if EXPECTED_REFUSAL not in error and not error.startswith(EXPECTED_ABSENT)]
    assert unexpected == [], unexpected  # no script error, no CSP violation, no failed request


def console_error(message: ConsoleMessage) -> str:
    """The error's text; a failed load as "<status> <path>" when the status is 404 (which path was missing)."""
    url = str(message.location.get("url", ""))
    if "status of 404" in message.text and url:
        return f"404 {urlsplit(url).path} ({message.text})"
    return message.text


async def sign_in(page: Page, key: str) -> None:
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in", exact=True).click()


async def chart_datasets(page: Page, canvas_id: str) -> list[dict[str, Any]]:
    """The data Chart.js holds for a canvas, and how many of the canvas's pixels it painted."""
    result: list[dict[str, Any]] = await page.evaluate(
        """(id) => {
            const canvas = document.getElementById(id);
            const chart = window.Chart.getChart(canvas);
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
            const labels = chart.data.labels;
            return chart.data.datasets.map((d) => ({ label: d.label, data: d.data, painted, labels }));
        }""",
        canvas_id,
    )
    return result


async def test_a_reseller_sees_its_month_downloads_an_invoice_and_upgrades(
    suite: Suite, account: Account, page: Page
) -> None:
    async with suite.client(account.key) as reseller:
        (month,) = (await reseller.get(f"/api/v1/billing/resellers/{account.reseller_id}/consumption")).json()
        named = month["skus"][0]["customers"][0]["customer_id"]  # the reseller names one of its two customers
        path = f"/api/v1/billing/resellers/{account.reseller_id}/customers/{named}"
        assert (await reseller.put(path, json={"name": "Contoso Dental"})).status_code == 200

    await page.goto(f"{suite.gateway.base_url}/storefront")
    await expect(page.locator(f"[data-product-id='{account.products['Tier 3']}']")).to_contain_text("Tier 3")

    await sign_in(page, "bss_000000000000_" + "x" * 43)
    await expect(page.get_by_role("alert")).to_contain_text("Sign-in failed: Authentication required")
    await expect(page.get_by_role("alert")).to_contain_text("The API key is not valid.")

    await sign_in(page, account.key)
    await expect(page.locator("#account-name")).to_have_text(account.legal_name)
    await expect(page.locator("#current-tier")).to_have_text("Tier 3")
    tier_3 = page.locator(f"[data-product-id='{account.products['Tier 3']}']")
    async with suite.client(account.key) as reseller:
        path = f"/api/v1/catalog/resellers/{account.reseller_id}/prices"
        prices = (
            await reseller.get(path, params={"currency": CURRENCY, "product_id": account.products["Tier 3"]})
        ).json()
        names = {s["sku"]: s["name"] for s in (await reseller.get("/api/v1/catalog/skus")).json()}
    await tier_3.locator("details.tier-prices summary").click()  # the unit prices it would pay on that tier
    await expect(tier_3.locator("details.tier-prices")).to_contain_text(f"Unit prices, {CURRENCY}")
    assert await tier_3.locator("details.tier-prices tr").count() == len(prices) > 0
    for price in prices:
        await expect(tier_3.locator("details.tier-prices")).to_contain_text(names[price["sku"]])
    await expect(page.locator("#estimated-total")).to_have_text(money(month["estimated_invoice"]["total"]))
    estimate = page.locator("#estimate-table")
    await expect(estimate).to_contain_text("Minimum Commitment Amount Fee")
    await expect(page.locator("#gauge-text")).to_contain_text(money(month["commitment"]))

    usage_lines = [line for line in month["estimated_invoice"]["lines"] if line["kind"] == "usage"]
    usage_chart = {d["label"]: d for d in await chart_datasets(page, "usage-chart")}
    for line in usage_lines:
        assert usage_chart[line["description"]]["data"][0] == float(line["amount"])
    assert usage_chart["Minimum commitment"]["data"][2] == float(month["commitment"])
    assert usage_chart["Minimum commitment"]["painted"] > 2_000  # bars were drawn, not just an empty canvas
    per_customer = await chart_datasets(page, "customer-chart")
    assert len(per_customer[0]["labels"]) == 2  # two customers
    assert "Contoso Dental" in per_customer[0]["labels"]  # by its name; the other by its id
    charted = sum(Decimal(str(value)) for d in per_customer for value in d["data"] if value is not None)
    assert abs(charted - Decimal(month["usage_total"])) <= Decimal("0.04")  # per-customer amounts round apart

    ticket_row = page.locator("#ticket-table tbody tr", has_text=account.ticket["subject"])
    first_response = next(t for t in account.ticket["targets"] if t["target"] == "first_response")
    await expect(ticket_row.locator("[data-target='first_response'] time")).to_have_attribute(
        "datetime", first_response["due_at"]
    )

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "storefront.png"), full_page=True)

    invoice_row = page.locator("#invoice-table tbody tr", has_text=account.invoice["number"])
    await expect(invoice_row).to_contain_text(money(account.invoice["total"]))
    async with page.expect_download() as download_info:
        await invoice_row.get_by_role("button", name=re.compile("as PDF")).click()
    download = await download_info.value
    assert download.suggested_filename == f"{account.invoice['number']}.pdf"
    pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert pdf.startswith(b"%PDF")

    await page.get_by_role("button", name="Upgrade to Tier 4").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("From Tier 3 to Tier 4")
    await dialog.get_by_role("button", name="Confirm upgrade").click()
    await expect(page.get_by_role("status")).to_contain_text("upgraded to Tier 4")
    await expect(page.locator("#current-tier")).to_have_text("Tier 4")
    async with suite.client(account.key) as reseller, suite.client() as anonymous:
        subscription = (await reseller.get(f"/api/v1/subscriptions/subscriptions/{account.subscription_id}")).json()
        assert subscription["current_tier"] == "Tier 4"
        products = (await anonymous.get("/api/v1/catalog/storefront/catalog")).json()["groups"][0]["products"]
    tier4 = next(p for p in products if p["id"] == account.products["Tier 4"])
    tier4_commitment = next(c["amount"] for c in tier4["commitments"] if c["currency"] == CURRENCY)
    await expect(page.locator("#gauge-text")).to_contain_text(money(tier4_commitment), timeout=WAIT_MS)


async def test_a_line_without_an_exchange_rate_shows_unpriced_naming_the_rate_and_the_totals_say_so(
    suite: Suite, account: Account, page: Page
) -> None:
    """The page given the answer billing makes while a rate is missing (its shape is checked against billing in
    tests/integration/billing/test_views_missing_fx_rate.py): here the ticket fee, as if charged in USD."""
    async with suite.client(account.key) as reseller:
        (month,) = (await reseller.get(f"/api/v1/billing/resellers/{account.reseller_id}/consumption")).json()
    invoice = month["estimated_invoice"]
    fee = next(line for line in invoice["lines"] if line["kind"] == "support_charge")
    missing = {"from_currency": "USD", "to_currency": CURRENCY, "on": datetime.now(UTC).date().isoformat()}
    for total in ("subtotal", "total"):
        invoice[total] = str(Decimal(invoice[total]) - Decimal(fee["amount"]))
    fee.update(amount=None, missing_fx_rate=missing, unconverted_amount="45.00")
    invoice["totals_complete"] = False
    month.update(missing_fx_rates=[missing], totals_complete=False)

    async def answer(route: Any) -> None:
        await route.fulfill(json=[month])

    await page.route(re.compile(r".*/api/v1/billing/resellers/[^/]+/consumption.*"), answer)
    await page.goto(f"{suite.gateway.base_url}/storefront")
    await sign_in(page, account.key)
    estimate = page.locator("#estimate-table")
    await expect(estimate).to_contain_text(f"No USD→{CURRENCY} exchange rate")
    await expect(estimate).to_contain_text("not priced")
    await expect(estimate).to_contain_text("Totals leave out the lines without an exchange rate yet")
    await expect(page.locator("#estimated-total")).to_have_text(money(invoice["total"]))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "storefront-missing-rate.png"), full_page=True)


def shown_month(on: date) -> str:
    """As the page names a month (en-US): "November 2026"."""
    return f"{on:%B %Y}"


async def consumption_answer(page: Page, action: Awaitable[Any]) -> dict[str, Any]:
    """The consumption view the page received while `action` ran (the figures it drew)."""
    async with page.expect_response(lambda r: "/consumption" in r.url and r.status == 200) as answer:
        await action
    rows: list[dict[str, Any]] = await (await answer.value).json()
    return rows[0]


async def test_a_link_opens_last_month_s_invoice_and_the_picker_this_month_s_projection(
    suite: Suite, account: Account, page: Page
) -> None:
    """Last month, closed: its invoice (number, status badge, downloads), usage and tickets. This month: the
    projection's sentence, chart and projected invoice column show the same figures, per SKU by its aggregation."""
    last_month = account.last_month.isoformat()[:7]
    this_month = month_start(datetime.now(UTC).date())
    await page.goto(f"{suite.gateway.base_url}/storefront#{last_month}")  # a link to the month, before sign-in
    await sign_in(page, account.key)
    await expect(page.locator("#consumption-title")).to_have_text(shown_month(account.last_month))
    await expect(page.locator("#month-select")).to_have_value(last_month)
    summary = page.locator("#month-invoice-summary")
    await expect(summary).to_contain_text(f"Invoice {account.invoice['number']}")
    await expect(summary.locator(".badge")).to_have_text("issued")
    await expect(summary).to_contain_text(money(account.invoice["total"]))
    await expect(page.locator("#estimate-title")).to_have_text(f"Invoice {account.invoice['number']} as issued")
    await expect(page.locator("#estimated-total")).to_have_text(money(account.invoice["total"]))
    await expect(page.locator("#projection-text")).to_be_hidden()  # a closed month has no projection
    await expect(summary.get_by_role("button", name=re.compile("as an e-invoice"))).to_have_count(0)
    await expect(summary).to_contain_text("no e-invoice")  # issued before the seller was set: no XML to offer
    ticket = page.locator("#ticket-table tbody tr", has_text="Backups stopped last month")
    await expect(ticket.locator("[data-target='first_response']")).to_contain_text("breached")
    await expect(page.locator("#ticket-table")).not_to_contain_text(account.ticket["subject"])  # opened this month
    month_chart = {d["label"]: d for d in await chart_datasets(page, "usage-chart")}
    assert month_chart["Minimum commitment"]["labels"] == ["The month", "Commitment"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "storefront-last-month.png"), full_page=True)
    async with page.expect_download() as download_info:
        await summary.get_by_role("button", name=re.compile("as CSV")).click()
    download = await download_info.value
    assert download.suggested_filename == f"{account.invoice['number']}.csv"
    csv_text = await asyncio.to_thread(Path(await download.path()).read_text)
    assert account.invoice["number"] in csv_text

    month = await consumption_answer(page, page.locator("#month-select").select_option(this_month.isoformat()[:7]))
    await expect(page.locator("#consumption-title")).to_have_text(f"This month · {shown_month(this_month)}")
    assert page.url.endswith(f"#{this_month.isoformat()[:7]}")
    projection = month["projection"]
    sentence = page.locator("#projection-text")
    await expect(sentence.locator("#projected-usage")).to_have_text(money(projection["projected_usage_total"]))
    await expect(sentence.locator("#projected-fee")).to_have_text(money(projection["projected_commitment_fee"]))
    await expect(page.locator("#projected-fee-cell")).to_have_text(money(projection["projected_commitment_fee"]))
    names = {sku["sku"]: sku["name"] for sku in month["skus"]}
    chart = {d["label"]: d for d in await chart_datasets(page, "usage-chart")}
    for sku in projection["skus"]:
        so_far, month_end, _ = chart[names[sku["sku"]]]["data"]
        assert (so_far, month_end) == (float(sku["amount"]), float(sku["projected_amount"]))
        cell = page.locator(f"#estimate-table [data-sku='{sku['sku']}']")
        await expect(cell).to_contain_text(money(sku["projected_amount"]))
        if sku["aggregation"] in ("max", "last"):  # a peak or last reading does not grow with the days
            assert sku["projected_amount"] == sku["amount"]
            await expect(cell).to_contain_text("stays")
            reading = "the month's peak" if sku["aggregation"] == "max" else "the latest reading"
            await expect(sentence).to_contain_text(f"{names[sku['sku']]} {money(sku['amount'])} (billed on {reading}")
    await expect(page.locator("#ticket-table")).to_contain_text(account.ticket["subject"])
    await page.screenshot(path=str(ARTIFACTS / "storefront-this-month.png"), full_page=True)


async def test_a_reseller_without_a_contract_is_told_to_order_and_then_that_usage_is_on_its_way(
    suite: Suite, account: Account, page: Page
) -> None:
    """No contract: each section says what to do, and no chart is drawn empty. Ordered: the month waits for usage."""
    _, legal_name, key = await newcomer(suite)
    this_month = month_start(datetime.now(UTC).date())
    await page.goto(f"{suite.gateway.base_url}/storefront")
    await sign_in(page, key)
    await expect(page.locator("#account-name")).to_have_text(legal_name)
    await expect(page.locator("#no-contract")).to_contain_text("order a tier below")
    await expect(page.locator("#consumption-message")).to_contain_text("You have no contract yet")
    await expect(page.locator("#history-message")).to_contain_text("No invoice yet")
    for hidden in ("#month-nav", "#consumption-figures", "#history-figure", "#invoice-table"):
        await expect(page.locator(hidden)).to_be_hidden()
    await expect(page.locator("#ticket-table")).to_contain_text(f"No ticket opened in {shown_month(this_month)}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "storefront-no-contract.png"), full_page=True)

    await page.get_by_role("button", name="Order Tier 2").click()
    await page.get_by_role("dialog").get_by_role("button", name="Place order").click()
    await expect(page.get_by_role("status")).to_contain_text("Ordered: your Tier 2 contract")
    empty = page.locator("#usage-empty")
    await expect(empty).to_contain_text(f"No usage reported for {shown_month(this_month)} yet", timeout=WAIT_MS)
    await expect(empty).to_contain_text("Acronis collectors")
    await expect(page.locator("#usage-figures")).to_be_hidden()  # no gauge, no empty charts
    await expect(page.locator("#estimate-table")).to_contain_text("Minimum Commitment Amount Fee")
    await expect(page.locator("#history-message")).to_contain_text(f"for {shown_month(this_month)}, is issued on")
    await page.screenshot(path=str(ARTIFACTS / "storefront-no-usage.png"), full_page=True)


async def test_the_admin_page_shows_the_month_margins_and_the_sla_breach(
    suite: Suite, account: Account, page: Page
) -> None:
    async with suite.admin() as admin:
        period = account.last_month.isoformat()
        margins = (await admin.get("/api/v1/billing/distributor/margins", params={"period": period})).json()
    (total,) = [t for t in margins["total"] if t["currency"] == CURRENCY]

    await page.goto(f"{suite.gateway.base_url}/storefront")
    await sign_in(page, ADMIN_KEY)
    await expect(page.get_by_role("alert")).to_contain_text("distributor key")  # not a reseller's page

    await page.goto(f"{suite.gateway.base_url}/storefront/admin")
    await sign_in(page, account.key)
    await expect(page.get_by_role("alert")).to_contain_text("a reseller key cannot open it")
    await sign_in(page, ADMIN_KEY)
    await expect(page.locator("#month")).to_have_value(account.last_month.isoformat()[:7])
    await expect(page.locator(f"#revenue-{CURRENCY}")).to_contain_text(money(total["revenue"]))
    await expect(page.locator(f"#margin-{CURRENCY}")).to_contain_text(money(total["margin"]))
    await expect(page.locator("#reseller-table")).to_contain_text(account.legal_name)
    [mine] = [r for r in margins["per_reseller"] if r["reseller_id"] == account.reseller_id]
    await expect(page.locator("#reseller-table")).to_contain_text(mine["cost_basis"])  # where the cost comes from
    if len(margins["total"]) > 1:  # the suite's other tests invoiced other currencies: one reporting total
        reporting = margins["reporting"]
        await expect(page.locator("#revenue-reporting")).to_contain_text(money(reporting["revenue"]))
        await expect(page.locator("#revenue-reporting")).to_contain_text(f"rates of {reporting['rates_on']}")
    await expect(page.locator("#first-response-breaches .stat-value")).to_have_text("1")
    await expect(page.locator("#first-response-breaches")).to_contain_text("of 1 answered")
    drawn = "() => window.Chart && window.Chart.getChart(document.getElementById('trend-chart'))"
    await page.wait_for_function(drawn)  # twelve months of margins arrive after the month's own
    trend = await chart_datasets(page, "trend-chart")  # the 12 months up to this one, in the reporting currency
    assert [d["label"] for d in trend] == ["Revenue", "Cost", "Margin"]
    assert len(trend[0]["labels"]) == 12
    if len(margins["total"]) == 1:  # one invoice currency: its own figures, no conversion
        assert trend[0]["data"][-1] == float(total["revenue"])
    tier_chart = await chart_datasets(page, "tier-chart")
    assert tier_chart[0]["label"] == "Revenue"
    assert tier_chart[0]["data"] == [float(t["revenue"]) for t in margins["per_tier"] if t["currency"] == CURRENCY]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "storefront-admin.png"), full_page=True)


def shown_date(on: date) -> str:
    """As the page shows a calendar date (en-US): "Jul 1, 2026"."""
    return f"{on:%b} {on.day}, {on.year}"


async def set_settings(admin: httpx.AsyncClient, changes: list[tuple[str, dict[str, Any], date]]) -> None:
    for path, value, effective_from in changes:
        body = {"value": value, "effective_from": effective_from.isoformat(), "reason": "e2e price review"}
        answer = await admin.put(f"/api/v1/billing/settings/{path}", json=body)
        assert answer.status_code == 200, answer.text


async def show_month(page: Page, month: date) -> None:
    await page.locator("#month").fill(month.isoformat()[:7])
    await page.get_by_role("button", name="Show", exact=True).click()
    await expect(page.locator("#settings-title")).to_have_text(f"Settings in force on {shown_date(month)}")


async def expect_support_settings(suite: Suite, page: Page, month: date) -> None:
    """Support's SLA settings as support answers them, or a "not available" note while it does not serve them."""
    async with suite.admin() as admin:
        kinds = await admin.get(SUPPORT_SETTINGS)
        targets = await admin.get(f"{SUPPORT_SETTINGS}/sla-targets", params={"as_of": month.isoformat()})
    if kinds.status_code == 404:
        await expect(page.locator("#support-settings-unavailable")).to_contain_text("Not available")
        return
    assert targets.status_code == 200, targets.text
    critical = next(item for item in targets.json()["items"] if item["scope"] == "A")["value"]["first_response"]
    row = page.locator("#settings-sla-targets tbody tr", has_text="Critical")
    unit = critical["unit"].replace("_", " ").rstrip("s")  # "4 hours", "1 day": the unit without its plural s
    await expect(row).to_contain_text(f"{critical['amount']} {unit}")


async def test_the_admin_page_shows_the_settings_in_force_on_the_month_s_first(
    suite: Suite, account: Account, page: Page
) -> None:
    """Values set from next month's 1st, the default discount raised from the month after: each month shows the
    values in force on its 1st, since when and who set them; this month (before any of it) shows none of them.
    Months ahead of the account's invoiced ones, so no other test's invoice or estimate changes."""
    this_month = month_start(datetime.now(UTC).date())
    next_month = next_period(this_month)
    later = next_period(next_month)
    tier3 = account.products["Tier 3"]
    async with suite.admin() as admin:
        await set_settings(
            admin,
            [
                ("seller/distributor", SELLER, next_month),
                ("tax-rates/DE", {"rate_percent": "19", "note": None}, next_month),
                ("tax-rates/*", {"rate_percent": "0", "note": NOT_SUBJECT_TO_GERMAN_VAT}, next_month),
                ("distributor-discounts/*", {"percent": "25"}, next_month),
                (f"distributor-discounts/tier:{tier3}", {"percent": "35"}, next_month),
                (f"distributor-discounts/reseller:{account.reseller_id}", {"percent": "40"}, next_month),
                ("price-list-currencies/*", {"currency": "EUR"}, next_month),
                ("tier-one-program/*", {"discount_percent": "10"}, next_month),
                ("distributor-discounts/*", {"percent": "30"}, later),
                (f"tier-one-program/{account.reseller_id}", {"discount_percent": "12"}, later.replace(day=15)),
            ],
        )

    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.goto(f"{suite.gateway.base_url}/storefront/admin")
    await sign_in(page, ADMIN_KEY)
    await expect(page.locator("#month")).to_have_value(account.last_month.isoformat()[:7])

    await show_month(page, later)
    taxes = page.locator("#settings-tax-rates")
    german = taxes.locator("tbody tr", has_text="Germany (DE)")
    await expect(german).to_contain_text("19 %")
    await expect(german).to_contain_text(shown_date(next_month))
    await expect(german).to_contain_text("bootstrap admin")
    others = taxes.locator("tbody tr", has_text="All other countries")
    await expect(others).to_contain_text("0 %")
    await expect(others).to_contain_text(NOT_SUBJECT_TO_GERMAN_VAT)
    await expect(taxes.locator("tbody tr").last).to_contain_text("All other countries")
    seller = page.locator("#settings-seller")
    await expect(seller).to_contain_text(SELLER["legal_name"])
    await expect(seller).to_contain_text("DE136695976")
    await expect(seller).to_contain_text("10115 Berlin")
    discounts = page.locator("#settings-discounts")
    default = discounts.locator("tbody tr", has_text="Default")
    await expect(default).to_contain_text("30 %")
    await expect(default).to_contain_text("was 25 %")
    await expect(default).to_contain_text(shown_date(later))
    await expect(default).to_contain_text("e2e price review")
    await expect(discounts.locator("tbody tr", has_text="Tier 3")).to_contain_text("35 %")
    await expect(discounts.locator("tbody tr", has_text=account.legal_name)).to_contain_text("40 %")
    await expect(page.locator("#settings-currencies tbody tr", has_text="Default")).to_contain_text("EUR")
    await expect(page.locator("#settings-tier-one tbody tr", has_text="Default")).to_contain_text("counts")
    starting = page.locator("#settings-tier-one tbody tr", has_text=account.legal_name)  # in force on the 31st only
    await expect(starting).to_contain_text("not this month")
    await expect(starting).to_contain_text(f"starts {shown_date(later.replace(day=15))}")
    await expect_support_settings(suite, page, later)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "admin-settings-full.png"), full_page=True)
    await page.locator("#settings-title").evaluate("(title) => title.scrollIntoView()")
    await page.screenshot(path=str(ARTIFACTS / "admin-settings-viewport.png"))

    await show_month(page, next_month)
    default = page.locator("#settings-discounts tbody tr", has_text="Default")
    await expect(default).to_contain_text("25 %")
    await expect(default).to_contain_text(shown_date(next_month))
    await expect(page.locator("#settings-tax-rates")).to_contain_text("19 %")
    await expect(page.locator("#settings-tier-one tbody tr", has_text="Default")).to_contain_text("counts")

    await show_month(page, this_month)  # before all of it: the values a fresh suite was seeded with
    await expect(page.locator("#settings-tax-rates")).to_contain_text("No tax rate is set")
    await expect(page.locator("#settings-tax-rates")).not_to_contain_text("19 %")
    await expect(page.locator("#settings-discounts")).to_contain_text("No discount is set")
    await expect(page.locator("#settings-seller")).to_contain_text("No seller is set")
    currency = page.locator("#settings-currencies tbody tr", has_text="Default")
    await expect(currency).to_contain_text("USD")
    await expect(currency).to_contain_text("from the start")
    await expect(currency).to_contain_text("initial setup")
    await expect(page.locator("#settings-tier-one")).to_contain_text("No reseller is in the Tier 1 program")
    await page.locator("#settings-title").evaluate("(title) => title.scrollIntoView()")
    await page.screenshot(path=str(ARTIFACTS / "admin-settings-before.png"))

    async def not_served(route: Any) -> None:
        await route.fulfill(status=404, json={"title": "Not Found", "status": 404})

    await page.route(re.compile(f".*{SUPPORT_SETTINGS}.*"), not_served)  # a support that does not serve them
    await show_month(page, next_month)
    await expect(page.locator("#support-settings-unavailable")).to_contain_text("Not available")
    await expect(page.locator("#settings-tax-rates")).to_contain_text("19 %")
    await expect(page.get_by_role("alert")).to_be_hidden()  # left out quietly
    await page.locator("#support-settings").evaluate("(section) => section.scrollIntoView({ block: 'center' })")
    await page.screenshot(path=str(ARTIFACTS / "admin-settings-support-absent.png"))


async def test_the_invoice_history_charts_the_months_totals_with_their_status_and_credit(
    suite: Suite, account: Account, page: Page
) -> None:
    """Last month's invoice, paid and partly credited (after the admin tests: the margins count paid invoices
    alike), in the history chart and the list; its month opens from the list."""
    invoice_id = account.invoice["invoice_id"]
    async with suite.admin() as admin:
        paid = await admin.post(f"/api/v1/billing/invoices/{invoice_id}/pay")
        assert paid.status_code == 200, paid.text
        credit = {"lines": [{"description": "Goodwill for the late answer", "amount": "10.00"}], "reason": "SLA."}
        credited = await admin.post(f"/api/v1/billing/invoices/{invoice_id}/credit-notes", json=credit)
        assert credited.status_code == 201, credited.text
    await page.goto(f"{suite.gateway.base_url}/storefront")
    await sign_in(page, account.key)
    await expect(page.locator("#history-caption")).to_contain_text(f"in {CURRENCY}")
    history = {d["label"]: d for d in await chart_datasets(page, "history-chart")}
    assert set(history) == {"Paid"}
    assert history["Paid"]["labels"][-1] == f"{account.last_month:%b %Y}"  # the last closed month ends it
    assert history["Paid"]["data"][-1] == float(account.invoice["total"])
    assert history["Paid"]["painted"] > 500  # bars were drawn
    row = page.locator("#invoice-table tbody tr", has_text=account.invoice["number"])
    await expect(row.locator(".badge")).to_have_text("paid")
    await expect(row).to_contain_text(f"credited {money(credited.json()['total'])}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.locator("#invoices").screenshot(path=str(ARTIFACTS / "storefront-invoice-history.png"))
    await row.get_by_role("link", name=shown_month(account.last_month)).click()
    await expect(page.locator("#consumption-title")).to_have_text(shown_month(account.last_month))
    await expect(page.locator("#month-invoice-summary .badge")).to_have_text("paid")


async def test_without_chromium_the_browser_tests_skip_unless_ci_requires_the_browser(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "chromium"
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require_chromium(missing)
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE}=1 but {missing} is missing"):
        require_chromium(missing)
