"""The storefront pages in a real browser: Debian's Chromium driven by Playwright, against the whole suite.

The reseller signs in with its key and sees its tier, this month's usage as charts and the estimated invoice,
downloads last month's invoice as PDF, sees its tickets' SLA due times and orders an upgrade; the admin sees the
distributor's month (revenue, cost, margin) and the SLA breach. Without /usr/bin/chromium the tests skip, unless
BSS_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.conftest import ADMIN_KEY, Suite
from tests.e2e.storefront_account import CURRENCY, Account, make_account, money
from tests.harness.browser import REQUIRE, require_chromium

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
WAIT_MS = 30_000  # billing follows a tier change through the broker
EXPECTED_REFUSAL = "status of 401"  # the browser logs the refused sign-in with a wrong key


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
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield opened
    await context.close()
    unexpected = [error for error in errors if EXPECTED_REFUSAL not in error]
    assert unexpected == [], unexpected  # no script error, no CSP violation, no failed request


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

    await page.goto(f"{suite.gateway.base_url}/storefront")
    await expect(page.locator(f"[data-product-id='{account.products['Tier 3']}']")).to_contain_text("Tier 3")

    await sign_in(page, "bss_000000000000_" + "x" * 43)
    await expect(page.get_by_role("alert")).to_contain_text("Sign-in failed: Authentication required")
    await expect(page.get_by_role("alert")).to_contain_text("The API key is not valid.")

    await sign_in(page, account.key)
    await expect(page.locator("#account-name")).to_have_text(account.legal_name)
    await expect(page.locator("#current-tier")).to_have_text("Tier 3")
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
    await expect(page.locator("#first-response-breaches .stat-value")).to_have_text("1")
    await expect(page.locator("#first-response-breaches")).to_contain_text("of 1 answered")
    tier_chart = await chart_datasets(page, "tier-chart")
    assert tier_chart[0]["label"] == "Revenue"
    assert tier_chart[0]["data"] == [float(t["revenue"]) for t in margins["per_tier"] if t["currency"] == CURRENCY]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "storefront-admin.png"), full_page=True)


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
