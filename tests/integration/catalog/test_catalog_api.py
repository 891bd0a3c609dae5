"""The catalog's admin writes and reads over HTTP: every change's event reaches the real broker; bad input is
refused with problem+json naming the field and writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bss.embedded_broker import EmbeddedBroker
from catalog.domain.product_identity import product_id_for
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import STOREFRONT, SYSTEM, headers_for, reseller
from tests.integration.catalog.harness import Catalog, read_catalog_topic, running_catalog

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]
TIER1 = product_id_for("csp-commit-250")
PROMO = product_id_for("csp-promo")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def catalog(databases: DatabaseFactory, broker: EmbeddedBroker) -> AsyncIterator[Catalog]:
    async with running_catalog(databases, broker) as running:
        assert (await running.admin("POST", "/v1/admin/services-definition/sync", json={})).status_code == 200
        yield running


def new_product(**overrides: Any) -> dict[str, Any]:
    code = f"test-{uuid.uuid4().hex[:10]}"
    body: dict[str, Any] = {
        "code": code,
        "name": f"Test product {code}",
        "tier": "Tier X",
        "effective_from": "2024-01-01",
        "commitments": [{"currency": "USD", "amount": "300"}, {"currency": "JPY", "amount": "45000"}],
    }
    return body | overrides


async def test_every_change_produces_its_event_on_the_broker(catalog: Catalog, broker: EmbeddedBroker) -> None:
    created = await catalog.admin("POST", "/v1/products", json=new_product())
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    steps = [
        ("POST", f"/v1/products/{pid}/versions", {"effective_from": "2024-06-01", "name": "Renamed", "tier": "Tier Y"}),
        (
            "POST",
            f"/v1/products/{pid}/commitments",
            {"effective_from": "2024-07-01", "commitments": [{"currency": "USD", "amount": "350"}]},
        ),
        ("POST", f"/v1/products/{pid}/deactivate", {"effective_from": "2025-01-01", "reason": "retired"}),
        (
            "POST",
            "/v1/price-books/vendor-sell/prices",
            {
                "effective_from": "2024-03-01",
                "entries": [{"product_id": pid, "sku": "CSP-SERVERS", "currency": "EUR", "unit_price": "20.5"}],
            },
        ),
        (
            "POST",
            f"/v1/resellers/{uuid.uuid4()}/price-lists",
            {
                "currency": "GBP",
                "effective_from": "2024-03-01",
                "adjustment": {"kind": "discount", "percent": "5"},
                "entries": [{"product_id": pid, "sku": "CSP-VMS", "unit_price": "9"}],
            },
        ),
        (
            "POST",
            "/v1/fx-rates",
            {
                "effective_from": "2024-02-01",
                "rates": [{"currency": "CHF", "units_per_usd": "0.8412"}],
                "source": "ECB",
            },
        ),
    ]
    for method, path, body in steps:
        response = await catalog.admin(method, path, json=body)
        assert response.status_code in (200, 201), (path, response.text)
    events = [
        e
        for e in await catalog.outbox_events()
        if e.subject == pid or e.type.endswith(("PriceBookPublished.v1", "FxRatesPublished.v1"))
    ]
    ids = {e.id for e in events}
    on_broker = await read_catalog_topic(broker, lambda e: e.id in ids, len(ids))
    types = [e.type.split(".")[2] for e in on_broker if e.subject == pid]
    assert types[:3] == ["ProductPublished", "ProductChanged", "ProductChanged"]
    assert "ProductDeactivated" in types
    kinds = {e.data["kind"] for e in on_broker if e.type.endswith("PriceBookPublished.v1")}
    assert {"vendor_sell", "reseller_custom"} <= kinds
    assert any(e.type.endswith("FxRatesPublished.v1") for e in on_broker)


async def test_product_reads_answer_as_of_a_date(catalog: Catalog) -> None:
    tier3 = product_id_for("csp-commit-1000")
    old = await catalog.admin("GET", f"/v1/products/{tier3}", params={"as_of": "2023-12-31"})
    new = await catalog.admin("GET", f"/v1/products/{tier3}", params={"as_of": "2024-02-01"})
    assert (old.json()["tier"], new.json()["tier"]) == ("Tier 2", "Tier 3")
    listing = await catalog.admin("GET", "/v1/products", params={"as_of": "2023-12-31", "limit": 500})
    codes = {p["code"] for p in listing.json()["items"]}
    assert "csp-commit-500" not in codes
    assert "csp-commit-1000" in codes


async def test_products_are_paginated_with_a_cursor(catalog: Catalog) -> None:
    first = (await catalog.admin("GET", "/v1/products", params={"limit": 4})).json()
    second = (await catalog.admin("GET", "/v1/products", params={"limit": 4, "cursor": first["next_cursor"]})).json()
    assert len(first["items"]) == 4
    assert first["next_cursor"]
    assert first["items"][-1]["code"] < second["items"][0]["code"]


@pytest.mark.parametrize(
    ("country", "partner_since", "on", "orderable", "codes"),
    [
        ("US", "2024-01-15", "2024-02-01", False, ["new_partner_region"]),
        ("US", "2022-05-01", "2024-02-01", True, []),
        ("DE", "2024-01-15", "2024-02-01", True, []),
    ],
)
async def test_eligibility_endpoint_applies_the_region_rule(
    catalog: Catalog, country: str, partner_since: str, on: str, orderable: bool, codes: list[str]
) -> None:
    params = {"reseller_country": country, "partner_since": partner_since, "on": on}
    answer = (await catalog.admin("GET", f"/v1/products/{TIER1}/eligibility", params=params)).json()
    assert answer["orderable"] is orderable
    assert [r["code"] for r in answer["reasons"]] == codes


async def test_eligibility_of_promo_on_2023_11_01(catalog: Catalog) -> None:
    params = {"reseller_country": "DE", "partner_since": "2020-01-01", "on": "2023-11-01"}
    answer = (await catalog.admin("GET", f"/v1/products/{PROMO}/eligibility", params=params)).json()
    assert [r["code"] for r in answer["reasons"]] == ["purchase_window_closed"]


async def test_storefront_shows_published_groups_active_products_and_follows_changes(catalog: Catalog) -> None:
    response = await catalog.http.get("/v1/storefront/catalog", headers=headers_for(STOREFRONT))
    assert response.status_code == 200
    body = response.json()
    group = next(g for g in body["groups"] if g["name"] == "Acronis Cyber Cloud for Service Providers")
    codes = [p["code"] for p in group["products"]]
    assert "csp-promo" not in codes
    assert "csp-commit-25000" in codes
    tier7 = next(p for p in group["products"] if p["code"] == "csp-commit-25000")
    assert {c["currency"] for c in tier7["commitments"]} == {"USD", "EUR", "GBP", "AUD", "JPY", "CAD"}
    created = (await catalog.admin("POST", "/v1/products", json=new_product())).json()
    hidden = await catalog.admin(
        "POST",
        "/v1/groups",
        json={"name": f"hidden-{uuid.uuid4().hex[:6]}", "category": "x", "product_ids": [created["id"]]},
    )
    assert hidden.status_code == 201
    unchanged = (await catalog.http.get("/v1/storefront/catalog", headers=headers_for(STOREFRONT))).json()
    assert hidden.json()["name"] not in {g["name"] for g in unchanged["groups"]}
    assert unchanged["catalog_version"] > body["catalog_version"]
    await catalog.admin("POST", f"/v1/groups/{hidden.json()['id']}/publish", json={})
    shown = (await catalog.http.get("/v1/storefront/catalog", headers=headers_for(STOREFRONT))).json()
    assert created["id"] in [p["id"] for g in shown["groups"] for p in g["products"]]


async def test_the_public_storefront_reads_the_same_for_a_signed_in_reseller_but_not_for_machines(
    catalog: Catalog,
) -> None:
    public = await catalog.http.get("/v1/storefront/catalog", headers=headers_for(STOREFRONT))
    response = await catalog.http.get("/v1/storefront/catalog", headers=headers_for(reseller("t-1")))
    assert response.status_code == 200
    assert response.json() == public.json()
    machine = await catalog.http.get("/v1/storefront/catalog", headers=headers_for(SYSTEM))
    assert machine.status_code == 403


async def test_same_idempotency_key_creates_the_product_once(catalog: Catalog) -> None:
    body = new_product()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await catalog.admin("POST", "/v1/products", json=body, headers=key)
    written = await catalog.written()
    again = await catalog.admin("POST", "/v1/products", json=body, headers=key)
    assert first.json() == again.json()
    assert await catalog.written() == written


async def test_backdated_write_by_a_reseller_is_refused(catalog: Catalog) -> None:
    response = await catalog.http.post(
        "/v1/products", json=new_product(requested_at="2023-01-01T00:00:00Z"), headers=headers_for(reseller("t-1"))
    )
    assert response.status_code == 403


async def test_custom_price_list_prices_and_falls_back_to_the_sell_price(catalog: Catalog) -> None:
    reseller_id = str(uuid.uuid4())
    tier3 = product_id_for("csp-commit-1000")
    body = {
        "currency": "EUR",
        "effective_from": "2024-01-15",
        "adjustment": {"kind": "markup", "percent": "10"},
        "entries": [{"product_id": tier3, "sku": "CSP-SERVERS", "unit_price": "19.99"}],
    }
    assert (await catalog.admin("POST", f"/v1/resellers/{reseller_id}/price-lists", json=body)).status_code == 201
    prices = (
        await catalog.admin(
            "GET",
            f"/v1/resellers/{reseller_id}/prices",
            params={"currency": "EUR", "product_id": tier3, "on": "2024-02-01"},
        )
    ).json()
    by_sku = {p["sku"]: p for p in prices}
    assert by_sku["CSP-SERVERS"]["source"] == "custom_price"
    assert by_sku["CSP-SERVERS"]["unit_price"] == "19.99"
    assert by_sku["CSP-VMS"]["source"] == "custom_markup"
    before = (
        await catalog.admin(
            "GET",
            f"/v1/resellers/{reseller_id}/prices",
            params={"currency": "EUR", "product_id": tier3, "on": "2024-01-14"},
        )
    ).json()
    assert {p["source"] for p in before} == {"sell_price"}


async def test_fx_conversion_records_the_rate_used(catalog: Catalog) -> None:
    await catalog.admin(
        "POST",
        "/v1/fx-rates",
        json={"effective_from": "2023-06-01", "rates": [{"currency": "SEK", "units_per_usd": "10.5"}]},
    )
    answer = (
        await catalog.admin(
            "GET",
            "/v1/fx-rates/convert",
            params={"amount": "100", "from_currency": "USD", "to_currency": "SEK", "on": "2024-01-01"},
        )
    ).json()
    assert answer["converted"] == "1050.00"
    assert answer["rates_used"][0]["effective_from"] == "2023-06-01"


BAD_INPUT = [
    ("POST", "/v1/products", new_product(commitments=[{"currency": "XYZ", "amount": "1"}]), "commitments.0.currency"),
    ("POST", "/v1/products", new_product(commitments=[{"currency": "CHF", "amount": "1"}]), "commitments.0.currency"),
    ("POST", "/v1/products", new_product(commitments=[{"currency": "USD", "amount": "-5"}]), "commitments.0.amount"),
    ("POST", "/v1/products", new_product(commitments=[{"currency": "USD", "amount": "lots"}]), "commitments.0.amount"),
    ("POST", "/v1/products", new_product(commitments=[{"currency": "USD", "amount": 1.5}]), "commitments.0.amount"),
    ("POST", "/v1/products", new_product(exclusion_set="no-such-set"), "exclusion_set"),
    (
        "POST",
        f"/v1/products/{TIER1}/versions",
        {"effective_from": "2024-01-01", "name": "x", "tier": "x"},
        "effective_from",
    ),
    (
        "POST",
        f"/v1/products/{TIER1}/commitments",
        {
            "effective_from": "2024-01-01",
            "commitments": [{"currency": "USD", "amount": "1"}, {"currency": "USD", "amount": "2"}],
        },
        "commitments.1.currency",
    ),
    ("PUT", "/v1/exclusion-sets/acronis-csp-contracts", {"product_ids": [TIER1, str(uuid.uuid4())]}, "product_ids.1"),
    (
        "POST",
        "/v1/price-books/vendor-sell/prices",
        {
            "effective_from": "2024-01-01",
            "entries": [{"product_id": TIER1, "sku": "CSP-SERVERS", "currency": "USD", "unit_price": "-1"}],
        },
        "entries.0.unit_price",
    ),
    (
        "POST",
        "/v1/price-books/vendor-sell/prices",
        {
            "effective_from": "2022-01-01",
            "entries": [{"product_id": TIER1, "sku": "CSP-SERVERS", "currency": "USD", "unit_price": "1"}],
        },
        "entries.0",
    ),
    (
        "POST",
        "/v1/price-books/vendor-sell/prices",
        {
            "effective_from": "2030-01-01",
            "entries": [{"product_id": TIER1, "sku": "NOPE", "currency": "USD", "unit_price": "1"}],
        },
        "entries.0.sku",
    ),
    (
        "POST",
        "/v1/fx-rates",
        {"effective_from": "2024-01-01", "rates": [{"currency": "QQQ", "units_per_usd": "1"}]},
        "rates.0.currency",
    ),
    (
        "POST",
        "/v1/fx-rates",
        {"effective_from": "2024-01-01", "rates": [{"currency": "SEK", "units_per_usd": "0"}]},
        "rates.0.units_per_usd",
    ),
    ("GET", f"/v1/products/{TIER1}", None, "as_of"),
    ("PUT", "/v1/exclusion-sets/acronis-csp-contracts", {"product_ids": ["not-a-uuid"]}, "product_ids.0"),
    (
        "POST",
        f"/v1/resellers/{uuid.uuid4()}/price-lists",
        {"currency": "EUR", "effective_from": "2024-01-01", "adjustment": {"kind": "margin", "percent": "100"}},
        "adjustment.percent",
    ),
    (
        "POST",
        "/v1/resellers/not-a-uuid/price-lists",
        {"currency": "EUR", "effective_from": "2024-01-01"},
        "reseller_id",
    ),
    (
        "POST",
        f"/v1/resellers/{uuid.uuid4()}/price-lists",
        {"currency": "SEK", "effective_from": "2024-01-01"},
        "currency",
    ),
    (
        "POST",
        f"/v1/resellers/{uuid.uuid4()}/price-lists",
        {"currency": "EUR", "effective_from": "2024-01-01", "adjustment": {"kind": "margin", "percent": "150"}},
        "adjustment.percent",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_INPUT)
async def test_bad_input_names_the_field_and_writes_nothing(
    catalog: Catalog, method: str, path: str, body: dict[str, Any] | None, field: str
) -> None:
    written = await catalog.written()
    params = {"as_of": "31/12/2023"} if body is None else None
    response = await catalog.admin(method, path, json=body, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await catalog.written() == written


async def test_product_types_exclusion_sets_and_history_are_readable(catalog: Catalog) -> None:
    types = (await catalog.admin("GET", "/v1/product-types")).json()
    assert types[0]["characteristics"] == ["Tier"]
    sets = (await catalog.admin("GET", "/v1/exclusion-sets")).json()
    contracts = next(s for s in sets if s["name"] == "acronis-csp-contracts")
    assert len(contracts["product_ids"]) == 9
    history = (await catalog.admin("GET", f"/v1/products/{product_id_for('csp-commit-1000')}/history")).json()
    assert [v["tier"] for v in history["versions"]] == ["Tier 2", "Tier 3"]
    created = await catalog.admin(
        "POST",
        "/v1/product-types",
        json={
            "code": f"t-{uuid.uuid4().hex[:6]}",
            "name": f"Type {uuid.uuid4().hex[:6]}",
            "characteristics": ["Edition"],
        },
    )
    assert created.status_code == 201


async def test_joining_an_exclusion_set_republishes_members_with_new_upgrade_paths(catalog: Catalog) -> None:
    first = (
        await catalog.admin("POST", "/v1/products", json=new_product(commitments=[{"currency": "USD", "amount": "10"}]))
    ).json()
    second = (
        await catalog.admin("POST", "/v1/products", json=new_product(commitments=[{"currency": "USD", "amount": "20"}]))
    ).json()
    seen = len(await catalog.outbox_events())
    name = f"set-{uuid.uuid4().hex[:6]}"
    response = await catalog.admin(
        "PUT", f"/v1/exclusion-sets/{name}", json={"product_ids": [first["id"], second["id"]]}
    )
    assert response.status_code == 200, response.text
    changed = [e for e in (await catalog.outbox_events())[seen:] if e.type == "bss.catalog.ProductChanged.v1"]
    by_subject = {e.subject: e.data for e in changed}
    assert by_subject[first["id"]]["upgrade_product_ids"] == [second["id"]]
    assert by_subject[first["id"]]["exclusion_set"] == name
    assert "exclusion_set_changed" in by_subject[second["id"]]["changes"]
    assert (
        await catalog.admin("PUT", f"/v1/exclusion-sets/{name}", json={"product_ids": [first["id"], second["id"]]})
    ).status_code == 200
    assert len(await catalog.outbox_events()) == seen + len(changed)


async def test_storefront_answers_304_for_an_unchanged_catalog_and_a_new_etag_after_a_change(catalog: Catalog) -> None:
    first = await catalog.http.get("/v1/storefront/catalog", headers=headers_for(STOREFRONT))
    etag = first.headers["etag"]
    same = await catalog.http.get("/v1/storefront/catalog", headers={**headers_for(STOREFRONT), "If-None-Match": etag})
    assert same.status_code == 304
    await catalog.admin("PATCH", f"/v1/products/{TIER1}", json={"marketing_text": "Now with more protection."})
    after = await catalog.http.get("/v1/storefront/catalog", headers={**headers_for(STOREFRONT), "If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    tier1 = next(p for g in after.json()["groups"] for p in g["products"] if p["id"] == TIER1)
    assert tier1["marketing_text"] == "Now with more protection."


async def test_backdated_create_applies_as_of_requested_at_and_keeps_the_real_time(catalog: Catalog) -> None:
    body = new_product(requested_at="2023-03-15T09:00:00Z")
    del body["effective_from"]
    created = await catalog.admin("POST", "/v1/products", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["available_from"] == "2023-03-15"
    event = next(e for e in await catalog.outbox_events() if e.subject == created.json()["id"])
    assert event.data["effective_from"] == "2023-03-15"
    assert event.time == catalog.clock.now()
