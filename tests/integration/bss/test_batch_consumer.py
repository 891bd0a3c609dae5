"""High-volume consumers apply a whole batch in one transaction, still exactly once in effect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession

from bss.embedded_broker import EmbeddedBroker
from bss.events.envelope import CloudEvent
from bss.events.topics import dead_letter_topic
from bss.messaging.consumer import PoisonMessage
from tests.harness.databases import DatabaseFactory
from tests.harness.polling import eventually
from tests.integration.bss.pipeline import Pipeline, ThingHappenedV1, add_amounts

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


@pytest_asyncio.fixture(loop_scope="session")
async def pipeline(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[Pipeline]:
    instance = await Pipeline.create(broker, databases)
    yield instance
    await instance.close()


async def test_batched_events_are_applied_once_even_when_the_batch_holds_duplicates(pipeline: Pipeline) -> None:
    written = [await pipeline.write(amount) for amount in range(1, 101)]
    await pipeline.start_relay()
    await eventually(lambda: _unsent(pipeline, 0), what="the relay to publish")
    producer = await pipeline.new_producer()
    for event in written[:10]:  # the same events once more, in the same partitions
        await producer.send_and_wait(pipeline.topic, event.to_json(), key=(event.subject or "").encode())
    await pipeline.start_consumer(batch_handler=add_amounts)
    await eventually(lambda: _total(pipeline, 5050), what="all 100 amounts applied")
    assert await pipeline.total() == 5050


async def test_poison_event_in_a_batch_is_dead_lettered_alone_and_the_rest_applied(pipeline: Pipeline) -> None:
    async def refuse_thirteen(session: AsyncSession, events: list[CloudEvent]) -> None:
        if any(event.payload(ThingHappenedV1).amount == 13 for event in events):
            raise PoisonMessage("thirteen is never applied")
        await add_amounts(session, events)

    for amount in range(1, 21):
        await pipeline.write(amount)
    await pipeline.start_relay()
    await eventually(lambda: _unsent(pipeline, 0), what="the relay to publish")
    await pipeline.start_consumer(batch_handler=refuse_thirteen)
    await eventually(lambda: _total(pipeline, 210 - 13), what="every amount but 13 applied")
    parked = await pipeline.read_topic(dead_letter_topic(pipeline.topic), expected=1)
    assert len(parked) == 1
    assert ThingHappenedV1.model_validate(CloudEvent.from_json(parked[0][0]).data).amount == 13


async def _total(pipeline: Pipeline, expected: int) -> bool:
    return await pipeline.total() == expected


async def _unsent(pipeline: Pipeline, expected: int) -> bool:
    return await pipeline.unsent() == expected
