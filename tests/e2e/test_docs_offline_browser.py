"""The API docs without the internet (issue #21): Swagger UI and ReDoc come from the gateway itself, so a browser
that may reach no other host still shows every operation. Debian's Chromium driven by Playwright; without
/usr/bin/chromium the test skips, unless BSS_REQUIRE_BROWSER=1 (CI) makes that a failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import async_playwright

from tests.e2e.conftest import Suite
from tests.harness.browser import require_chromium

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


async def test_docs_show_every_operation_with_every_other_host_blocked(suite: Suite) -> None:
    chromium = require_chromium()
    gateway = urlsplit(suite.gateway.base_url).netloc
    elsewhere: list[str] = []

    async def only_the_gateway(route: Any) -> None:
        if urlsplit(route.request.url).netloc == gateway:
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium), headless=True)
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        await context.route("**/*", only_the_gateway)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        await page.goto(f"{suite.gateway.base_url}/docs")
        await page.locator(".opblock").first.wait_for(timeout=30_000)
        operations = await page.locator(".opblock").count()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))

        swagger_elsewhere = list(elsewhere)

        await page.goto(f"{suite.gateway.base_url}/redoc")
        await page.get_by_text("/api/v1/billing/usage").first.wait_for(timeout=30_000)
        await browser.close()

    assert operations > 100, operations  # every service's operations, not an empty page
    assert errors == [], errors  # SwaggerUIBundle is defined: its script came from the gateway
    assert swagger_elsewhere == [], swagger_elsewhere  # and nothing was asked of another host
    # ReDoc's bundle asks for one image of its own, its "API docs by Redocly" logo; the page works without it
    assert set(elsewhere) <= {REDOC_LOGO}, elsewhere
