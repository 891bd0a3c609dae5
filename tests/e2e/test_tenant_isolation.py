"""Tenant isolation on every route a reseller can reach, through the gateway and the real services.

Reseller A has a subscription, an issued invoice and a ticket. Reseller B, with its own key, tries every route
that names one of A's resources (reads, writes, documents, list filters): each answer is 403 or 404 problem+json,
never A's data. A itself gets 200 on the same reads, so the routes really exist.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Suite
from tests.e2e.test_commitment_invoice import _knows as subscriptions_know
from tests.e2e.test_commitment_invoice import (
    billing_knows,
    closed_with_invoices,
    invoice_of,
    reseller_on_tier3,
    tier3_and_a_priced_sku,
)
from tests.e2e.test_reseller_onboarding import reseller_body
from tests.e2e.test_support_through_gateway import TICKET, open_ticket
from tests.harness.polling import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


def routes_naming(reseller: str, subscription: str, invoice: str, ticket: str) -> list[tuple[str, str, Any]]:
    subs, bill, support = "/api/v1/subscriptions/subscriptions", "/api/v1/billing", "/api/v1/support/tickets"
    return [
        ("GET", f"{subs}/{subscription}", None),
        ("GET", f"{subs}/{subscription}/periods?from=2025-10-01&to=2025-12-01", None),
        ("POST", f"{subs}/{subscription}/tier-change-preview", {"to_product_id": subscription}),
        ("POST", f"{subs}/{subscription}/tier-change", {"to_product_id": subscription}),
        ("POST", f"{subs}/{subscription}/conversion", {}),
        ("POST", f"{subs}/{subscription}/suspension", {}),
        ("POST", f"{subs}/{subscription}/resumption", {}),
        ("POST", f"{subs}/{subscription}/cancellation", {}),
        ("GET", f"{subs}?reseller_id={reseller}", None),
        ("GET", f"/api/v1/subscriptions/resellers/{reseller}", None),
        ("GET", f"{bill}/resellers/{reseller}/consumption", None),
        ("GET", f"{bill}/resellers/{reseller}/customers", None),
        ("PUT", f"{bill}/resellers/{reseller}/customers/0190c3a1-9000-7000-8000-000000000001", {"name": "mine now"}),
        ("GET", f"{bill}/invoices/{invoice}", None),
        ("GET", f"{bill}/invoices/{invoice}.csv", None),
        ("GET", f"{bill}/invoices/{invoice}.pdf", None),
        ("GET", f"{bill}/invoices?reseller_id={reseller}", None),
        ("POST", f"{bill}/invoices/{invoice}/pay", {}),
        ("POST", f"{bill}/invoices/{invoice}/void", {"reason": "x"}),
        ("POST", f"{bill}/invoices/{invoice}/credit-notes", {"amount": "1.00", "reason": "x"}),
        ("GET", f"/api/v1/catalog/resellers/{reseller}/prices", None),
        ("GET", f"{support}/{ticket}", None),
        ("GET", f"{support}/{ticket}/sla", None),
        ("GET", f"{support}/{ticket}/events", None),
        ("POST", f"{support}/{ticket}/messages", {"body": "let me in"}),
        ("POST", f"{support}/{ticket}/severity", {"severity": "A", "reason": "x"}),
        ("POST", f"{support}/{ticket}/state", {"state": "closed"}),
        ("POST", f"{support}/{ticket}/incidents", {"summary": "x"}),
        ("GET", f"{support}?reseller_id={reseller}", None),
        ("GET", "/gateway/v1/keys", None),
    ]


async def test_a_reseller_reaches_none_of_another_tenants_resources_on_any_route(suite: Suite) -> None:
    async with suite.admin() as admin:
        assert (await admin.post("/api/v1/catalog/admin/services-definition/sync", json={})).status_code == 200
        tier3, _, _ = await eventually(lambda: tier3_and_a_priced_sku(admin), what="the catalog")
        await eventually(lambda: subscriptions_know(admin, tier3), what="subscriptions to learn the catalog")
        reseller_a, subscription_a = await reseller_on_tier3(admin, tier3)
        other = await admin.post("/api/v1/subscriptions/resellers", json=reseller_body("US", "2021-02-01", "USD"))
        reseller_b = other.json()["id"]
        await eventually(lambda: billing_knows(admin, reseller_a), what="billing to learn A's subscription")
        await eventually(lambda: closed_with_invoices(admin, [reseller_a]), what="A's invoice")
        invoice_a = (await invoice_of(admin, reseller_a))["invoice_id"]

    key_a, key_b = await suite.key_for("reseller", reseller_a), await suite.key_for("reseller", reseller_b)
    async with suite.client(key_a) as as_a, suite.client(key_b) as as_b:
        ticket_a = (await eventually(lambda: open_ticket(as_a), what="support to know A")).json()["id"]
        routes = routes_naming(reseller_a, subscription_a, invoice_a, ticket_a)
        leaks = [
            f"{method} {path} -> {response.status_code}"
            for method, path, body in routes
            if (response := await _call(as_b, method, path, body)).status_code not in (403, 404)
            or response.headers["content-type"] != "application/problem+json"
        ]
        assert leaks == []

        for method, path, _ in routes:
            if method == "GET" and "/keys" not in path:
                assert (await _call(as_a, method, path, None)).status_code == 200, path
        mine = (await as_b.get("/api/v1/subscriptions/subscriptions")).json()["items"]
        assert all(item["reseller_id"] == reseller_b for item in mine)
        assert TICKET["subject"] not in (await as_b.get("/api/v1/support/tickets")).text


async def _call(client: httpx.AsyncClient, method: str, path: str, body: Any) -> httpx.Response:
    return await client.request(method, path, json=body)


async def test_a_key_for_a_reseller_nobody_registered_is_refused(suite: Suite) -> None:
    async with suite.admin() as admin:
        body = {"name": "typo", "role": "reseller", "tenant_id": "0190c3a1-2000-7000-8000-00000000dead"}
        refused = await admin.post("/gateway/v1/keys", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "tenant_id"
    assert "no reseller" in refused.json()["detail"]


async def test_a_problem_names_the_gateway_path_the_client_called(suite: Suite) -> None:
    async with suite.admin() as admin:
        missing = await admin.get("/api/v1/billing/invoices/0190c3a1-9000-7000-8000-000000000999")
        ticket = await admin.get("/api/v1/support/tickets/0190c3a1-9000-7000-8000-000000000999")
    assert (missing.status_code, missing.json()["instance"]) == (
        404,
        "/api/v1/billing/invoices/0190c3a1-9000-7000-8000-000000000999",
    )
    assert ticket.json()["instance"] == "/api/v1/support/tickets/0190c3a1-9000-7000-8000-000000000999"
