"""The services-definition sync against the real database (SQLite or PostgreSQL) and the real broker."""

from __future__ import annotations

from datetime import date

import pytest

from bss.embedded_broker import EmbeddedBroker
from catalog.domain.product_identity import product_id_for
from catalog.seed import run_seed
from catalog.settings import CatalogSettings
from tests.harness.databases import DatabaseFactory
from tests.integration.catalog.harness import read_catalog_topic, running_catalog

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]
TIER3 = product_id_for("csp-commit-1000")


async def test_sync_loads_the_catalog_and_a_second_run_changes_nothing(
    databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    async with running_catalog(databases, broker) as catalog:
        first = await catalog.admin("POST", "/v1/admin/services-definition/sync", json={})
        assert first.status_code == 200, first.text
        report = first.json()
        assert report["products_created"] == 9
        assert report["prices_written"] == 9 * 14 * 6
        written = await catalog.written()
        again = await catalog.admin("POST", "/v1/admin/services-definition/sync", json={})
        assert again.json()["changed"] is False
        assert await catalog.written() == written
        events = await catalog.outbox_events()
        published = [e for e in events if e.type == "bss.catalog.ProductPublished.v1"]
        assert len(published) == 9
        tier1 = next(e for e in published if e.data["code"] == "csp-commit-250")
        assert tier1.data["exclusion_set"] == "acronis-csp-contracts"
        promo = next(e for e in published if e.data["code"] == "csp-promo")
        assert promo.data["orderable_before"] == "2023-11-01"
        on_broker = await read_catalog_topic(broker, lambda e: e.id in {x.id for x in events}, len(events))
        assert {e.id for e in on_broker} == {e.id for e in events}


async def test_sync_on_a_pre_2024_catalog_applies_the_renames(
    databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    async with running_catalog(databases, broker) as catalog:
        old = await catalog.admin("POST", "/v1/admin/services-definition/sync", json={"known_on": "2023-12-31"})
        assert old.json()["products_created"] == 7
        before = await catalog.admin("GET", f"/v1/products/{TIER3}", params={"as_of": "2024-02-01"})
        assert before.json()["tier"] == "Tier 2"
        seen = len(await catalog.outbox_events())
        full = await catalog.admin("POST", "/v1/admin/services-definition/sync", json={})
        assert full.json()["products_created"] == 2
        after = await catalog.admin("GET", f"/v1/products/{TIER3}", params={"as_of": "2024-02-01"})
        history = await catalog.admin("GET", f"/v1/products/{TIER3}", params={"as_of": "2023-12-31"})
        assert (after.json()["tier"], history.json()["tier"]) == ("Tier 3", "Tier 2")
        assert after.json()["name"] == "Acronis Cyber Cloud for Service Providers - Tier 3"
        new_events = (await catalog.outbox_events())[seen:]
        renamed = next(e for e in new_events if e.type == "bss.catalog.ProductChanged.v1" and e.subject == TIER3)
        assert renamed.data["effective_from"] == "2024-01-01"
        assert {"renamed", "tier_moved"} <= set(renamed.data["changes"])
        assert renamed.data["previous_tier"] == "Tier 2"
        assert product_id_for("csp-commit-25000") in renamed.data["upgrade_product_ids"]
        codes = {e.data["code"] for e in new_events if e.type == "bss.catalog.ProductPublished.v1"}
        assert codes == {"csp-commit-500", "csp-commit-25000"}
        on_broker = await read_catalog_topic(broker, lambda e: e.id == renamed.id, 1)
        assert on_broker[0].data["tier"] == "Tier 3"


async def test_seed_command_is_the_same_idempotent_use_case(databases: DatabaseFactory) -> None:
    settings = CatalogSettings(database_url=await databases.create("catalog_seed"), migrate_on_start=True)
    old = await run_seed(settings, date(2023, 12, 31))
    full = await run_seed(settings, None)
    again = await run_seed(settings, None)
    assert old.products_created == 7
    assert full.products_created == 2
    assert full.versions_written > 0
    assert full.product_events > 0
    assert again.changed is False
