"""A committed outbox bundle goes from the writer to this process's relay in memory (ADR 0022): sent once, its
row marked sent, never read back; and only a bundle whose row is still unsent, in the relay's own database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import update

from bss.clock import SystemClock
from bss.db import is_sqlite
from bss.embedded_broker import EmbeddedBroker
from bss.messaging import relay as relay_module
from bss.messaging.outbox import BundledMessage, on_bundles_commit
from bss.messaging.relay import OutboxRelay, RelayConfig
from tests.harness.databases import DatabaseFactory
from tests.harness.polling import eventually
from tests.integration.bss.pipeline import Pipeline, producer_tables

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

EVENT_TYPE = "bss.test.Bundled.v1"


@pytest_asyncio.fixture(loop_scope="session")
async def pipeline(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[Pipeline]:
    instance = await Pipeline.create(broker, databases)
    yield instance
    await instance.close()


def messages(count: int) -> list[BundledMessage]:
    return [BundledMessage(str(uuid.uuid4()), f"key-{n % 3}", f'{{"n": {n}}}'.encode()) for n in range(count)]


async def write_bundle(pipeline: Pipeline, bundled: list[BundledMessage], *, commit: bool = True) -> None:
    async with pipeline.producer_sessions() as session:
        await session.begin()
        await pipeline.outbox.add_bundle(
            session, topic=pipeline.topic, event_type=EVENT_TYPE, messages=bundled, now=SystemClock().now()
        )
        await (session.commit() if commit else session.rollback())


async def idle_relay(pipeline: Pipeline) -> OutboxRelay:
    """A relay whose loop does not run: the test calls `publish_once` itself."""
    relay = OutboxRelay(
        config=RelayConfig(service="test-producer", bootstrap_servers=pipeline.broker.bootstrap_servers),
        session_factory=pipeline.producer_sessions,
        tables=producer_tables,
        producer=await pipeline.new_producer(),
        clock=SystemClock(),
        row_locking=not is_sqlite(str(pipeline.producer_engine.url)),
    )
    pipeline.relays.append(relay)
    return relay


async def test_a_committed_bundle_is_sent_from_memory_once_without_reading_its_row_back(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(payload: bytes) -> list[BundledMessage]:
        raise AssertionError("the relay read a bundle back from the outbox")

    monkeypatch.setattr(relay_module, "decode_bundle", never)
    await pipeline.start_relay()
    sent = messages(50)
    await write_bundle(pipeline, sent)
    await eventually(lambda: _unsent_is(pipeline, 0), what="the bundle's row marked sent")
    published = await pipeline.read_topic(pipeline.topic, expected=51, timeout_s=3)
    assert sorted(value for value, _ in published) == sorted(message.value for message in sent)
    assert sorted(headers["ce_id"].decode() for _, headers in published) == sorted(m.event_id for m in sent)
    assert {headers["ce_type"] for _, headers in published} == {EVENT_TYPE.encode()}


async def test_a_handed_bundle_whose_row_is_already_sent_is_not_sent_again(pipeline: Pipeline) -> None:
    relay = await idle_relay(pipeline)
    unregister = on_bundles_commit(relay.take_bundles)
    try:
        await write_bundle(pipeline, messages(10))
        async with pipeline.producer_sessions() as session, session.begin():  # another relay sent it meanwhile
            await session.execute(update(producer_tables.outbox).values(sent_at=SystemClock().now()))
        assert await relay.publish_once() == 1  # the bundle was taken from memory...
    finally:
        unregister()
    assert await pipeline.read_topic(pipeline.topic, expected=1, timeout_s=2) == []  # ...and not sent


async def test_a_rolled_back_bundle_is_never_handed_over(pipeline: Pipeline) -> None:
    relay = await idle_relay(pipeline)
    unregister = on_bundles_commit(relay.take_bundles)
    try:
        await write_bundle(pipeline, messages(10), commit=False)
        assert await relay.publish_once() == 0
    finally:
        unregister()
    assert await pipeline.read_topic(pipeline.topic, expected=1, timeout_s=2) == []


async def test_a_bundle_of_another_database_is_left_to_that_database_s_relay(
    pipeline: Pipeline, broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    other = await Pipeline.create(broker, databases)
    try:
        relay = await idle_relay(pipeline)
        unregister = on_bundles_commit(relay.take_bundles)
        try:
            await write_bundle(other, messages(10))
            assert await relay.publish_once() == 0  # nothing handed, nothing unsent in its own outbox
        finally:
            unregister()
        assert await other.unsent() == 1
    finally:
        await other.close()


async def _unsent_is(pipeline: Pipeline, expected: int) -> bool:
    return await pipeline.unsent() == expected
