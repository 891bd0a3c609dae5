"""A reseller's billing profile as effective-dated data (docs/domain.md, "Billing profiles"): recorded at
registration, changed by admins from a date, read as of any day, announced to billing, and what new orders are
invoiced in."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.harness.identity import ADMIN
from tests.integration.subscriptions.catalog_events import Catalog
from tests.integration.subscriptions.harness import ADMIN_HEADERS, Service, count_rows, read_events, reseller_headers

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

PROFILES = "/v1/settings/billing-profiles"
PROFILE_CHANGED = "bss.subscriptions.ResellerBillingProfileChanged.v1"


def profile(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "legal_name": "Northwind Managed Services GmbH",
        "billing_email": "billing@northwind.example",
        "billing_address": {"lines": ["Hafenstrasse 12"], "city": "Hamburg", "postal_code": "20457", "country": "DE"},
        "vat_id": "DE136695976",
        "invoice_currency": "EUR",
        "price_list_currency": None,
        "payment_terms_days": 14,
        "locale": "de-DE",
    }
    return {**value, **changes}


async def put_profile(
    service: Service,
    reseller_id: str,
    value: dict[str, Any],
    effective_from: str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await service.http.put(
        f"{PROFILES}/{reseller_id}",
        json={"value": value, "effective_from": effective_from, "reason": "new legal entity"},
        headers=headers or ADMIN_HEADERS,
    )


async def read_profile(service: Service, reseller_id: str, as_of: str, headers: dict[str, str] | None = None) -> Any:
    response = await service.http.get(
        f"/v1/resellers/{reseller_id}/billing-profile", params={"as_of": as_of}, headers=headers or ADMIN_HEADERS
    )
    assert response.status_code == 200, response.text
    return response.json()


async def registered(service: Service, **extra: Any) -> str:
    return await service.register(requested_at="2024-01-10T09:00:00Z", tax_id="DE136695976", **extra)


async def test_billing_profile_registration_records_the_first_profile_and_announces_it(service: Service) -> None:
    reseller_id = await registered(service, payment_terms_days=10, locale="de_de")
    first = await read_profile(service, reseller_id, "2024-01-10")
    assert first["effective_from"] == "2024-01-10"
    assert first["recorded_by"] == ADMIN.subject
    assert first["profile"]["vat_id"] == "DE136695976"
    assert (first["profile"]["payment_terms_days"], first["profile"]["locale"]) == (10, "de-DE")
    assert first["profile"]["invoice_currency"] == "EUR"
    events = await read_events(service.bootstrap_servers, {reseller_id}, expected=2)
    announced = [e for e in events if e.type == PROFILE_CHANGED]
    assert len(announced) == 1
    assert announced[0].data["effective_from"] == "2024-01-10"
    assert announced[0].data["profile"]["locale"] == "de-DE"


async def test_billing_profile_change_applies_from_its_date_is_audited_and_announced(service: Service) -> None:
    reseller_id = await registered(service)
    changed = await put_profile(service, reseller_id, profile(invoice_currency="USD"), "2024-03-01")
    assert changed.status_code == 200, changed.text
    assert changed.json()["previous"]["invoice_currency"] == "EUR"
    assert (await read_profile(service, reseller_id, "2024-02-29"))["profile"]["invoice_currency"] == "EUR"
    later = await read_profile(service, reseller_id, "2024-03-01")
    assert (later["profile"]["invoice_currency"], later["effective_from"]) == ("USD", "2024-03-01")
    trail = await service.http.get(
        "/v1/settings/changes", params={"kind": "billing-profiles", "scope": reseller_id}, headers=ADMIN_HEADERS
    )
    assert [(c["effective_from"], c["reason"]) for c in trail.json()["items"]] == [
        ("2024-01-10", "registration"),
        ("2024-03-01", "new legal entity"),
    ]
    events = await read_events(service.bootstrap_servers, {reseller_id}, expected=3)
    assert [e.data["effective_from"] for e in events if e.type == PROFILE_CHANGED] == ["2024-01-10", "2024-03-01"]
    removal = await service.http.delete(
        f"{PROFILES}/{reseller_id}", params={"effective_from": "2024-04-01"}, headers=ADMIN_HEADERS
    )
    assert removal.status_code == 405  # a reseller always has a profile: no DELETE route


async def test_billing_profile_orders_are_invoiced_in_the_profiles_currency_on_their_start_day(
    service: Service, catalog: Catalog
) -> None:
    reseller_id = await registered(service)
    assert (await put_profile(service, reseller_id, profile(invoice_currency="USD"), "2024-03-01")).status_code == 200
    ordered = await service.ordered(reseller_id, catalog["t1000"], requested_at="2024-03-05T10:00:00Z")
    assert ordered["billing_currency"] == "USD"


@pytest.mark.parametrize(
    ("value", "effective_from", "status", "field"),
    [
        (profile(vat_id="DE123456789"), "2024-03-01", 422, "vat_id"),
        (profile(locale="xx-YY"), "2024-03-01", 422, "locale"),
        (profile(price_list_currency="CHF"), "2024-03-01", 422, "price_list_currency"),
        (profile(invoice_currency="KGS"), "2024-03-01", 422, "invoice_currency"),  # no test quotes KGS
        (profile(payment_terms_days=400), "2024-03-01", 422, "payment_terms_days"),
        (profile(surprise=True), "2024-03-01", 422, "surprise"),
        (profile(), "2024-01-09", 422, "effective_from"),
    ],
    ids=["vat-id", "locale", "price-list", "unpriceable-currency", "terms", "unknown-field", "before-registration"],
)
async def test_billing_profile_refusals_say_why_and_write_nothing(
    service: Service, value: dict[str, Any], effective_from: str, status: int, field: str
) -> None:
    reseller_id = await registered(service)
    before = await count_rows(service.database_url, "setting_versions")
    refused = await put_profile(service, reseller_id, value, effective_from)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert field in refused.text
    assert await count_rows(service.database_url, "setting_versions") == before


async def test_billing_profile_of_an_unknown_reseller_is_404_and_a_reseller_reads_only_its_own(
    service: Service,
) -> None:
    unknown = "0190c3a1-2000-7000-8000-00000000ffff"
    assert (await put_profile(service, unknown, profile(), "2024-03-01")).status_code == 404
    reseller_id, other = await registered(service), await registered(service)
    own = await read_profile(service, reseller_id, "2024-02-01", headers=reseller_headers(reseller_id))
    assert own["reseller_id"] == reseller_id
    peek = await service.http.get(f"/v1/resellers/{other}/billing-profile", headers=reseller_headers(reseller_id))
    assert peek.status_code == 404
    tamper = await put_profile(service, reseller_id, profile(), "2024-03-01", headers=reseller_headers(reseller_id))
    assert tamper.status_code == 403
    before = await service.http.get(
        f"/v1/resellers/{reseller_id}/billing-profile", params={"as_of": "2024-01-09"}, headers=ADMIN_HEADERS
    )
    assert before.status_code == 404


async def test_billing_profile_registration_refuses_a_vat_id_of_another_form(service: Service) -> None:
    body = {
        "legal_name": "Bad VAT GmbH",
        "billing_email": "billing@bad.example",
        "billing_address": {"lines": ["1 Main Street"], "city": "Berlin", "country": "DE"},
        "country": "DE",
        "partner_since": "2020-01-01",
        "billing_currency": "EUR",
        "contract_signed_on": "2020-01-01",
        "tax_id": "DE123456789",
    }
    refused = await service.http.post("/v1/resellers", json=body, headers=ADMIN_HEADERS)
    assert refused.status_code == 422, refused.text
    assert "tax_id" in refused.text
