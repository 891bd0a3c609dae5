"""Through the gateway, every service refuses a query parameter its operation does not declare with a 400 problem
naming it and listing the accepted ones, instead of answering as if it were not sent; declared ones still work."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bss.problems import PROBLEM_JSON, TYPE_BASE
from tests.e2e.conftest import Suite

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

# (operation, a misspelt parameter, the parameters it does take, a call with them)
OPERATIONS = [
    ("/api/v1/billing/invoices", "pag", {"cursor", "limit", "period", "reseller_id"}, {"limit": "1"}),
    ("/api/v1/catalog/products", "asof", {"as_of"}, {"as_of": "2023-12-31", "limit": "1"}),
    ("/api/v1/subscriptions/resellers", "page", {"cursor", "limit"}, {"limit": "1"}),
    ("/api/v1/support/tickets", "page", {"cursor", "limit"}, {"limit": "1"}),
    ("/gateway/v1/keys", "revoked", {"cursor", "include_revoked", "limit"}, {"include_revoked": "true", "limit": "1"}),
]


def unknown_parameter(response: httpx.Response, name: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["type"] == TYPE_BASE + "unknown-query-parameter"
    assert problem["errors"] == [{"field": name, "message": "not a query parameter of this operation", "in": "query"}]
    assert repr(name) in problem["detail"]
    return problem


async def test_each_service_refuses_an_unknown_parameter_and_takes_its_own(suite: Suite) -> None:
    async with suite.admin() as admin:
        for path, unknown, accepted, declared in OPERATIONS:
            problem = unknown_parameter(await admin.get(path, params={unknown: "2", **declared}), unknown)
            assert accepted <= set(problem["accepted"]), path
            answer = await admin.get(path, params=declared)
            assert answer.status_code == 200, f"{path}: {answer.text}"


async def test_a_write_with_an_unknown_parameter_changes_nothing(suite: Suite) -> None:
    async with suite.admin() as admin:
        refused = await admin.post(
            "/api/v1/billing/month-closes", params={"dry_run": "1"}, json={"period": "2024-01-01"}
        )
        unknown_parameter(refused, "dry_run")
        invoices = await admin.get("/api/v1/billing/invoices", params={"period": "2024-01-01"})
    assert invoices.json()["items"] == []


async def test_the_public_catalog_refuses_one_too_and_the_gateway_authenticates_first(suite: Suite) -> None:
    async with suite.client() as anonymous:
        unknown_parameter(await anonymous.get("/api/v1/catalog/storefront/catalog", params={"lang": "de"}), "lang")
        assert (await anonymous.get("/api/v1/catalog/storefront/catalog")).status_code == 200
        # The proxy forwards the query untouched; without credentials the gateway answers before the service.
        assert (await anonymous.get("/api/v1/billing/invoices", params={"pag": "2"})).status_code == 401
