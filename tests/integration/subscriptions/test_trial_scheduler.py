"""The trial scheduler runs by itself inside the service: trials past their end expire without any call."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.polling import eventually
from tests.integration.subscriptions.catalog_events import Catalog
from tests.integration.subscriptions.harness import ADMIN_HEADERS, Service, read_events

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]
SERVICE_SETTINGS: dict[str, Any] = {"trial_sweep_interval_s": 0.2}


async def test_the_scheduler_expires_a_trial_past_its_end_on_its_own(service: Service, catalog: Catalog) -> None:
    reseller_id = await service.register()
    trial = await service.ordered(reseller_id, catalog["t1000"], kind="trial", requested_at="2024-08-01T12:00:00Z")

    async def expired() -> bool:
        read = await service.http.get(f"/v1/subscriptions/{trial['id']}", headers=ADMIN_HEADERS)
        return bool(read.json()["status"] == "expired")

    await eventually(expired, timeout_s=10, what="the scheduler to expire the trial")
    events = await read_events(service.bootstrap_servers, {trial["id"]}, expected=2)
    assert [e.type.split(".")[2] for e in events] == ["SubscriptionCreated", "TrialExpired"]
    assert events[1].data["expired_at"] == "2024-08-31T00:00:00Z"
