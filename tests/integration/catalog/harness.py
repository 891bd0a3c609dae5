"""A running catalog service for the catalog's integration tests, and a plain reader of its topic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from bss.events.envelope import CloudEvent
from bss.events.topics import CATALOG
from bss.kafka import new_consumer
from bss.service_app import Runtime
from catalog.main import create_app
from catalog.models import CatalogChange, messaging
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, GatewayIdentity, headers_for
from tests.harness.services import running, service_settings

NOW = datetime(2024, 2, 1, 10, 0, tzinfo=UTC)


@dataclass
class Catalog:
    http: httpx.AsyncClient
    runtime: Runtime
    clock: FixedClock

    async def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**headers_for(ADMIN), **kwargs.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def written(self) -> tuple[int, int]:
        """(outbox rows, catalog changes): what a refused request must leave as it was."""
        async with self.runtime.sessions() as session:
            outbox = (await session.execute(select(func.count()).select_from(messaging.outbox))).scalar_one()
            changes = (await session.execute(select(func.count()).select_from(CatalogChange))).scalar_one()
        return int(outbox), int(changes)

    async def outbox_events(self) -> list[CloudEvent]:
        async with self.runtime.sessions() as session:
            rows = (await session.execute(select(messaging.outbox.c.payload).order_by(messaging.outbox.c.seq))).all()
        return [CloudEvent.from_json(row.payload) for row in rows]


@asynccontextmanager
async def running_catalog(databases: DatabaseFactory, broker: EmbeddedBroker) -> AsyncIterator[Catalog]:
    clock = FixedClock(NOW)
    app = create_app(await service_settings("catalog", databases, broker), clock=clock)  # type: ignore[arg-type]
    async with (
        running(app) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=30, auth=GatewayIdentity("catalog")) as http,
    ):
        yield Catalog(http, app.state.runtime, clock)


async def read_catalog_topic(
    broker: EmbeddedBroker, wanted: Callable[[CloudEvent], bool], expected: int, timeout_s: float = 20.0
) -> list[CloudEvent]:
    """Events on `bss.catalog` from the start that match `wanted` (stops once `expected` arrived)."""
    reader = new_consumer(broker.bootstrap_servers, CATALOG, group_id=None, client_id="catalog-test-reader")
    await reader.start()
    found: list[CloudEvent] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while len(found) < expected and loop.time() < deadline:
            batch = await reader.getmany(timeout_ms=300)
            for records in batch.values():
                for record in records:
                    event = CloudEvent.from_json(record.value or b"{}")
                    if wanted(event):
                        found.append(event)
    finally:
        await reader.stop()
    return found
