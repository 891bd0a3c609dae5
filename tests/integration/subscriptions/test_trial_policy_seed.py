"""The trial policy's environment only seeds a fresh database (docs/domain.md, "Trials"): the service starts with
`SUBSCRIPTIONS_TRIAL_DAYS=21` and `SUBSCRIPTIONS_TRIAL_AUTO_CONVERT=true`, which become `*` from 1970-01-01;
a restart with other values changes nothing, and a serving process reads the policy, not the variables."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from bss.embedded_broker import EmbeddedBroker
from subscriptions.main import create_app
from subscriptions.settings import SubscriptionsSettings
from tests.harness.identity import GatewayIdentity
from tests.harness.services import running, wait_ready
from tests.integration.subscriptions.catalog_events import Catalog
from tests.integration.subscriptions.harness import ADMIN_HEADERS, Service

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]
SERVICE_SETTINGS: dict[str, Any] = {"trial_days": 21, "trial_auto_convert": True}
STAR = "/v1/settings/trial-policies/*"


async def default_policy(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get(STAR, headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_trial_policy_seed_from_the_environment_is_the_default_and_a_restart_does_not_seed_again(
    service: Service, catalog: Catalog, broker: EmbeddedBroker
) -> None:
    seeded = await default_policy(service.http)
    assert (seeded["value"], seeded["effective_from"], seeded["recorded_by"]) == (
        {"days": 21, "auto_convert": True},
        "1970-01-01",
        "seed:environment",
    )
    ordered = await service.ordered(
        await service.register(), catalog["t1000"], kind="trial", requested_at="2024-03-01T10:00:00Z"
    )
    assert (ordered["trial_days"], ordered["auto_convert"], ordered["trial_ends_at"]) == (
        21,
        True,
        "2024-03-22T00:00:00Z",
    )

    restarted = SubscriptionsSettings(
        database_url=service.database_url,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        migrate_on_start=True,
        log_json=False,
        trial_sweep_interval_s=3600.0,
        catalog_consumer_group=f"subscriptions.catalog.test-{uuid.uuid4().hex[:8]}",
        trial_days=5,
        trial_auto_convert=False,
    )
    async with (
        running(create_app(restarted)) as server,
        httpx.AsyncClient(base_url=server.base_url, auth=GatewayIdentity("subscriptions")) as http,
    ):
        await wait_ready(server.base_url)
        assert (await default_policy(http))["value"] == {"days": 21, "auto_convert": True}
        trail = await http.get(
            "/v1/settings/changes", params={"kind": "trial-policies", "scope": "*"}, headers=ADMIN_HEADERS
        )
        assert [c["recorded_by"] for c in trail.json()["items"]] == ["seed:environment"]


async def test_trial_policy_changed_through_the_api_is_what_orders_read_not_the_environment(
    service: Service, catalog: Catalog
) -> None:
    changed = await service.http.put(
        STAR,
        json={"value": {"days": 40, "auto_convert": False}, "effective_from": date(2024, 6, 1).isoformat()},
        headers=ADMIN_HEADERS,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["previous"] == {"days": 21, "auto_convert": True}
    ordered = await service.ordered(
        await service.register(), catalog["t1000"], kind="trial", requested_at="2024-06-01T10:00:00Z"
    )
    assert (ordered["trial_days"], ordered["auto_convert"], ordered["trial_ends_at"]) == (
        40,
        False,
        "2024-07-11T00:00:00Z",
    )
