"""Through the gateway only: the catalog reaches the storefront, resellers register and order, tenants stay apart."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Suite
from tests.harness.polling import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

TIER3 = "Acronis Cyber Cloud for Service Providers - Tier 3"


def reseller_body(country: str, partner_since: str, currency: str) -> dict[str, Any]:
    return {
        "legal_name": f"E2E Partner {uuid.uuid4().hex[:6]}",
        "billing_email": "billing@partner.example",
        "billing_address": {"lines": ["1 Main Street"], "city": "Somewhere", "country": country},
        "country": country,
        "partner_since": partner_since,
        "billing_currency": currency,
        "contract_signed_on": partner_since,
    }


async def products_known_to_subscriptions(admin: httpx.AsyncClient) -> dict[str, str]:
    response = await admin.get("/api/v1/subscriptions/catalog/products", params={"as_of": "2024-06-01"})
    if response.status_code != 200:
        return {}
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {item["name"]: item["product_id"] for item in items}


async def test_a_month_starts_catalog_to_storefront_then_orders_with_tenants_apart(suite: Suite) -> None:
    async with suite.admin() as admin, suite.client() as anonymous:
        synced = await admin.post("/api/v1/catalog/admin/services-definition/sync", json={})
        assert synced.status_code == 200, synced.text

        storefront = await anonymous.get("/api/v1/catalog/storefront/catalog")
        assert storefront.status_code == 200, storefront.text
        assert TIER3 in storefront.text

        products = await eventually(lambda: _with(products_known_to_subscriptions(admin), TIER3), what="catalog events")

        german = await admin.post("/api/v1/subscriptions/resellers", json=reseller_body("DE", "2022-05-01", "EUR"))
        british = await admin.post("/api/v1/subscriptions/resellers", json=reseller_body("GB", "2024-06-01", "GBP"))
        assert german.status_code == british.status_code == 201, (german.text, british.text)
        german_id, british_id = german.json()["id"], british.json()["id"]

    german_key = await suite.key_for("reseller", german_id)
    british_key = await suite.key_for("reseller", british_id)
    tier1 = next(pid for name, pid in products.items() if name.endswith("- Tier 1"))

    async with suite.client(german_key) as as_german, suite.client(british_key) as as_british:
        ordered = await as_german.post("/api/v1/subscriptions/subscriptions", json={"product_id": products[TIER3]})
        assert ordered.status_code == 201, ordered.text
        subscription = ordered.json()
        assert subscription["reseller_id"] == german_id

        refused = await as_british.post("/api/v1/subscriptions/subscriptions", json={"product_id": tier1})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "region" in refused.text.lower()

        other_tenant = await as_british.get(f"/api/v1/subscriptions/subscriptions/{subscription['id']}")
        assert other_tenant.status_code == 404

        spoofed = await as_british.get(
            f"/api/v1/subscriptions/subscriptions/{subscription['id']}",
            headers={"x-bss-identity": "forged", "x-bss-identity-signature": "forged"},
        )
        assert spoofed.status_code == 404  # the gateway replaced the forged identity with the key's own

        own = await as_german.get(f"/api/v1/subscriptions/subscriptions/{subscription['id']}")
        assert own.status_code == 200
        assert own.json()["current_product_name"] == TIER3


async def _with(pending: Any, name: str) -> dict[str, str] | None:
    """All nine contract products as of mid-2024 (catalog events arrive one by one), including `name`."""
    products: dict[str, str] = await pending
    return products if name in products and len(products) == 9 else None
