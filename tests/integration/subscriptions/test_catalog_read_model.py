"""The catalog read model follows catalog events from the real broker, including the January 2024 renames."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from bss.events.contracts.catalog import ProductDeactivatedV1, ProductPublishedV1
from bss.events.envelope import make_event
from tests.harness.polling import eventually
from tests.integration.subscriptions.catalog_events import Catalog, deactivation, publish, publish_envelopes
from tests.integration.subscriptions.harness import Service

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


async def test_a_renamed_product_keeps_its_id_and_changes_name_and_tier_on_2024_01_01(
    service: Service, catalog: Catalog
) -> None:
    before = await service.products(date(2023, 12, 31))
    after = await service.products(date(2024, 1, 1))
    assert before[catalog["t1000"]]["tier"] == "Tier 2"
    assert before[catalog["t1000"]]["name"] == "Acronis Cyber Cloud for Service Providers - Tier 2"
    assert after[catalog["t1000"]]["tier"] == "Tier 3"
    assert after[catalog["t1000"]]["name"] == "Acronis Cyber Cloud for Service Providers - Tier 3"
    assert [c for c in after[catalog["t1000"]]["commitments"] if c["currency"] == "USD"] == [
        {"amount": "1000", "currency": "USD"}
    ]
    assert {p["tier"] for p in after.values()} >= {f"Tier {n}" for n in range(8)}


async def test_new_tiers_2_and_7_exist_only_from_2024_01_01(service: Service, catalog: Catalog) -> None:
    before = await service.products(date(2023, 12, 31))
    after = await service.products(date(2024, 1, 1))
    assert catalog["tier2"] not in before
    assert catalog["tier7"] not in before
    assert after[catalog["tier2"]]["tier"] == "Tier 2"
    assert after[catalog["tier7"]]["commitments"][1] == {"amount": "25000", "currency": "USD"}


async def test_upgrade_paths_region_rule_and_promo_window_come_from_the_events(
    service: Service, catalog: Catalog
) -> None:
    products = await service.products(date(2024, 2, 1))
    assert catalog["tier7"] in products[catalog["t1000"]]["upgrade_product_ids"]
    assert catalog["tier0"] not in products[catalog["t1000"]]["upgrade_product_ids"]
    assert products[catalog["tier1"]]["new_partner_countries"] == ["AU", "GB", "IE", "US"]
    assert products[catalog["tier1"]]["new_partner_since"] == "2024-01-01"
    assert products[catalog["promo"]]["orderable_before"] == "2023-11-01"


async def test_a_deactivation_event_is_followed_and_the_product_can_no_longer_be_ordered(
    service: Service, catalog: Catalog
) -> None:
    await publish(service.bootstrap_servers, [deactivation(catalog["t10000"], date(2024, 6, 1))])

    async def deactivated() -> bool:
        found = (await service.products(date(2024, 7, 1)))[catalog["t10000"]]
        return bool(found["deactivated_from"] == "2024-06-01")

    await eventually(deactivated, what="the deactivation to reach the read model")
    reseller_id = await service.register()
    refused = await service.order(reseller_id, catalog["t10000"], start_at="2024-06-02T00:00:00Z")
    assert refused.status_code == 422
    assert refused.json()["rules"] == ["product_deactivated"]
    accepted = await service.order(reseller_id, catalog["t10000"], start_at="2024-05-31T00:00:00Z")
    assert accepted.status_code == 201, accepted.text


async def test_a_redelivered_or_stale_catalog_event_changes_nothing(service: Service, catalog: Catalog) -> None:
    product_id = str(uuid.uuid4())

    def definition(name: str) -> ProductPublishedV1:
        return ProductPublishedV1.model_validate(
            {
                "product_id": product_id,
                "effective_from": date(2024, 1, 1),
                "code": "ACC-X",
                "name": name,
                "tier": "Tier X",
                "commitments": [{"currency": "USD", "amount": "100"}],
            }
        )

    newer = make_event(definition("Newer"), source="/bss/catalog", time=datetime(2024, 1, 2, tzinfo=UTC))
    stale = make_event(definition("Stale"), source="/bss/catalog", time=datetime(2024, 1, 1, tzinfo=UTC))
    await publish_envelopes(service.bootstrap_servers, [newer, newer, stale])
    marker = ProductDeactivatedV1(product_id=product_id, effective_from=date(2030, 1, 1))
    await publish(service.bootstrap_servers, [marker])

    async def all_applied() -> bool:
        found = (await service.products(date(2024, 6, 1))).get(product_id)
        return found is not None and found["deactivated_from"] == "2030-01-01"

    await eventually(all_applied, what="the catalog events to be applied")
    assert (await service.products(date(2024, 6, 1)))[product_id]["name"] == "Newer"
