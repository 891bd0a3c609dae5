from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio

from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from support_sla.main import create_app
from tests.harness.databases import DatabaseFactory
from tests.harness.services import running, service_settings, wait_ready
from tests.integration.support_sla.harness import Service

START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(databases: DatabaseFactory, broker: EmbeddedBroker) -> AsyncIterator[Service]:
    settings = await service_settings(
        "support-sla",
        databases,
        broker,
        scheduler_enabled=False,
        sla_time_zone="Europe/Berlin",
        sla_country="DE",
        reseller_consumer_group=f"support-sla-resellers-{uuid.uuid4().hex[:8]}",  # not shared with other tests' apps
    )
    clock = FixedClock(START)
    app = create_app(settings, clock=clock)  # type: ignore[arg-type]
    async with running(app) as server:
        await wait_ready(server.base_url)
        yield Service(app, server.base_url, clock, broker)


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def reset_clock(service: Service) -> None:
    service.clock.set(START)
