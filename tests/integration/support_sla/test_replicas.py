"""Two replicas of the service on one database, each running its breach scheduler: one SlaBreached per target."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from support_sla.main import create_app
from support_sla.models import SlaAlert
from tests.harness.databases import DatabaseFactory, backend_name
from tests.harness.services import running, service_settings, wait_ready
from tests.integration.support_sla.conftest import START
from tests.integration.support_sla.harness import Service

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_two_replicas_running_schedulers_publish_each_breach_once(
    databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    settings = await service_settings(
        "support-sla",
        databases,
        broker,
        scheduler_max_sleep_s=0.1,
        sla_time_zone="Europe/Berlin",
        sla_country="DE",
        reseller_consumer_group=f"support-sla-replicas-{uuid.uuid4().hex[:8]}",
    )
    clock = FixedClock(START)
    first_app, second_app = create_app(settings, clock=clock), create_app(settings, clock=clock)  # type: ignore[arg-type]
    async with running(first_app) as first, running(second_app) as second:
        await wait_ready(first.base_url)
        await wait_ready(second.base_url)
        one = Service(first_app, first.base_url, clock, broker)
        rid = await one.new_reseller()
        ticket = await one.open_ticket(rid, "B")
        found, alerts = await _breach_once(one, clock, ticket["id"])
    assert alerts == 1
    # One event: on PostgreSQL the relays claim outbox rows with SKIP LOCKED, so it is also sent once; SQLite (the
    # single-replica embedded default) has no row locks, and two relays may each deliver it (same event id).
    assert {(event["_id"], event["target"], event["severity"]) for event in found} == {
        (found[0]["_id"], "first_response", "B")
    }
    if backend_name() == "postgresql":
        assert len(found) == 1


async def _breach_once(one: Service, clock: FixedClock, ticket_id: str) -> tuple[list[dict[str, Any]], int]:
    clock.set(START + timedelta(hours=4))  # the first response is due now; both schedulers wake within 0.1 s
    found = await one.events(
        "bss.support.SlaBreached.v1", lambda d: d["ticket_id"] == ticket_id, expected=1, settle_s=1.0
    )
    async with one.runtime.sessions() as session:
        alerts = await session.scalar(
            select(func.count()).select_from(SlaAlert).where(SlaAlert.ticket_id == ticket_id, SlaAlert.kind == "breach")
        )
    return found, int(alerts or 0)
