"""Nothing lost, nothing counted twice: across a broker restart (empty, in-memory) and a billing restart."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from billing.main import create_app
from billing.models import UsageAggregateRow
from bss.embedded_broker import EmbeddedBroker
from bss.kafka import new_producer
from tests.harness.databases import DatabaseFactory
from tests.harness.services import running, service_settings
from tests.integration.billing.world import BACKUP_JOBS, BillingWorld, billing_world, eventually, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


async def total_of(world: BillingWorld, subscription_id: str) -> Decimal:
    async with world.runtime.sessions() as session:
        rows = (
            await session.execute(select(UsageAggregateRow).where(UsageAggregateRow.subscription_id == subscription_id))
        ).scalars()
        return sum((row.total for row in rows), Decimal(0))


def batch(world: BillingWorld, ids: tuple[str, str], n: int) -> list[dict[str, object]]:
    body = world.usage(*ids, BACKUP_JOBS, "1", utc(2024, 2, 3)).model_dump(mode="json")
    return [{"event_id": str(uuid.uuid4()), **body, "quantity": str(i)} for i in range(1, n + 1)]


async def test_accepted_events_survive_a_broker_restart_and_count_once(
    own_broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    async with billing_world(own_broker, databases, outbox_max_backoff_s=0.5) as world:
        ids = await world.subscribe()
        first = batch(world, ids, 20)
        assert (await world.post_usage(first)).json()["accepted"] == 20
        await world.wait_counted(20, ids[1])
        await own_broker.astop()
        second = batch(world, ids, 30)
        answer = await world.post_usage(second + first[:5])  # the database alone makes them durable
        assert answer.json()["accepted"] == 30
        assert answer.json()["duplicate"] == 5
        await own_broker.astart()
        # The broker comes back empty: the relay publishes the outbox again and the consumers rejoin their group
        # with backoff. What is promised is nothing lost and nothing counted twice, not how soon; under a loaded
        # machine (the two CI runs side by side) that took more than 20 s.
        await world.wait_counted(50, ids[1], within_s=60)
        await eventually(lambda: _total_is(world, ids[1], Decimal(210 + 465)), what="exact totals", within_s=30)


async def _total_is(world: BillingWorld, subscription_id: str, expected: Decimal) -> bool:
    return await total_of(world, subscription_id) == expected


async def test_a_billing_restart_mid_stream_loses_nothing_and_double_counts_nothing(
    broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    async with billing_world(broker, databases, usage_consumers=1) as world:
        ids = await world.subscribe()
        settings = world.runtime.settings
        suffix = settings.consumer_group_suffix  # type: ignore[attr-defined]
        database_url = settings.database_url
    events = [BillingWorld.usage(world, *ids, BACKUP_JOBS, str(i), utc(2024, 2, 3)) for i in range(1, 401)]
    event_ids = [str(uuid.uuid4()) for _ in events]
    producer = new_producer(broker.bootstrap_servers, idempotent=False, client_id="restart-test")
    await producer.start()
    try:
        restarted = await service_settings(
            "billing", databases, broker, consumer_group_suffix=suffix, month_close_scheduler=False, usage_consumers=1
        )
        restarted.database_url = database_url
        app = create_app(restarted)  # type: ignore[arg-type]
        async with running(app) as server, httpx.AsyncClient(base_url=server.base_url) as client:
            second = BillingWorld(runtime=app.state.runtime, client=client, producer=producer)
            for data, event_id in zip(events[:200], event_ids, strict=False):
                await second.publish(data, event_id=event_id)
            await second.wait_counted(1, ids[1])  # stop while the stream is being applied
        for data, event_id in zip(events[200:], event_ids[200:], strict=True):
            await second.publish(data, event_id=event_id)
        for data, event_id in zip(events[:50], event_ids, strict=False):  # a producer's retries: same ids again
            await second.publish(data, event_id=event_id)
        # Same key, same partition: once this one is counted, every retry before it has been seen.
        await second.publish(BillingWorld.usage(world, *ids, BACKUP_JOBS, "1000", utc(2024, 2, 4)))
        app = create_app(restarted)  # type: ignore[arg-type]
        async with running(app) as server, httpx.AsyncClient(base_url=server.base_url) as client:
            third = BillingWorld(runtime=app.state.runtime, client=client, producer=producer)
            await third.wait_counted(401, ids[1])
            assert await total_of(third, ids[1]) == Decimal(sum(range(1, 401)) + 1000)
    finally:
        await producer.stop()
