"""An event written with a state change arrives exactly once in effect, through the real broker and database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bss.embedded_broker import EmbeddedBroker
from bss.events.envelope import CloudEvent
from bss.events.topics import dead_letter_topic
from bss.messaging.consumer import PoisonMessage
from bss.metrics import EVENTS_CONSUMED, OUTBOX_REPLAYS
from tests.harness.databases import DatabaseFactory, backend_name
from tests.harness.polling import eventually
from tests.integration.bss.pipeline import Pipeline, ThingHappenedV1, add_amount, producer_tables

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


@pytest_asyncio.fixture(loop_scope="session")
async def pipeline(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[Pipeline]:
    instance = await Pipeline.create(broker, databases)
    yield instance
    await instance.close()


@pytest_asyncio.fixture(loop_scope="session")
async def restartable(own_broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[Pipeline]:
    instance = await Pipeline.create(own_broker, databases)
    yield instance
    await instance.close()


def duplicates_seen(group: str) -> float:
    return EVENTS_CONSUMED.labels(group, "duplicate")._value.get()


async def test_event_written_with_state_change_is_applied_once(pipeline: Pipeline) -> None:
    await pipeline.start_relay()
    await pipeline.start_consumer()
    for amount in (1, 10, 100):
        await pipeline.write(amount)
    await eventually(lambda: _total_is(pipeline, 111), what="three events applied")
    await asyncio.sleep(0.5)
    assert await pipeline.total() == 111
    assert await pipeline.unsent() == 0


async def test_broker_down_at_write_time_event_arrives_when_it_returns(restartable: Pipeline) -> None:
    pipeline = restartable
    await pipeline.start_relay()
    await pipeline.start_consumer()
    await pipeline.write(1)
    await eventually(lambda: _total_is(pipeline, 1), what="the first event before the outage")

    replays_before = OUTBOX_REPLAYS.labels("test-producer")._value.get()
    await pipeline.broker.astop()
    for amount in (10, 100):
        await pipeline.write(amount)  # the state change commits although the broker is down
    await asyncio.sleep(1.0)
    assert await pipeline.unsent() == 2

    await pipeline.broker.astart()  # back, and empty: the relay re-sends its window, the first event too
    await eventually(lambda: _total_is(pipeline, 111), what="events written during the outage applied")
    await eventually(lambda: _replayed_since(replays_before), what="the relay to replay its retention window")
    await asyncio.sleep(1.0)
    assert await pipeline.total() == 111  # the replayed first event changed nothing


class SimulatedCrash(BaseException):
    """Not an Exception: the consumer cannot catch it, as with a killed process."""


async def test_consumer_crash_after_processing_redelivers_without_double_effect(pipeline: Pipeline) -> None:
    applied: list[str] = []

    async def crash_on_second(session: AsyncSession, event: CloudEvent) -> None:
        if applied:
            raise SimulatedCrash
        await add_amount(session, event)
        applied.append(event.id)

    await pipeline.write(5, thing_id="one-thing")  # one key: one partition, in order, in one fetch
    await pipeline.write(7, thing_id="one-thing")
    await pipeline.start_relay()
    await eventually(lambda: _unsent_is(pipeline, 0), what="the relay to publish")
    _, task = await pipeline.start_consumer(crash_on_second)
    with pytest.raises(SimulatedCrash):
        await asyncio.wait_for(task, timeout=30)
    assert await pipeline.total() == 5  # the first event committed; its offset did not

    before = duplicates_seen(pipeline.group)
    await pipeline.start_consumer()
    await eventually(lambda: _total_is(pipeline, 12), what="the second event after the restart")
    await asyncio.sleep(0.5)
    assert await pipeline.total() == 12
    assert duplicates_seen(pipeline.group) - before >= 1  # the first event came again and changed nothing


async def test_same_event_published_twice_is_applied_once(pipeline: Pipeline) -> None:
    await pipeline.start_relay()
    event = await pipeline.write(42)
    await eventually(lambda: _unsent_is(pipeline, 0), what="the relay to publish")
    async with pipeline.producer_sessions() as session, session.begin():  # the relay sends it once more
        await session.execute(update(producer_tables.outbox).values(sent_at=None))
    producer = await pipeline.new_producer()  # and another system publishes the same envelope
    await producer.send_and_wait(pipeline.topic, event.to_json(), key=event.subject.encode() if event.subject else None)
    await eventually(lambda: _unsent_is(pipeline, 0), what="the relay to publish again")

    await pipeline.start_consumer()
    await eventually(lambda: _total_is(pipeline, 42), what="the event applied")
    await eventually(lambda: _duplicates_at_least(pipeline, 2), what="both copies seen")
    assert await pipeline.total() == 42


async def test_broker_restarting_empty_after_send_before_consume_loses_nothing(restartable: Pipeline) -> None:
    pipeline = restartable
    await pipeline.start_relay()
    for amount in (3, 4):
        await pipeline.write(amount)
    await eventually(lambda: _unsent_is(pipeline, 0), what="the relay to publish")

    await pipeline.broker.astop()
    await pipeline.broker.astart()  # the sent events are gone from the broker
    await pipeline.ensure_topics()
    await pipeline.start_consumer()
    await eventually(lambda: _total_is(pipeline, 7), what="the replayed events applied")
    await asyncio.sleep(1.0)
    assert await pipeline.total() == 7


async def test_malformed_message_goes_to_dead_letter_topic_and_consumer_keeps_going(pipeline: Pipeline) -> None:
    producer = await pipeline.new_producer()
    await producer.send_and_wait(pipeline.topic, b"{this is not json", key=b"k")
    await pipeline.start_relay()
    await pipeline.write(9)
    await pipeline.start_consumer()
    await eventually(lambda: _total_is(pipeline, 9), what="the good event after the bad one")

    parked = await pipeline.read_topic(dead_letter_topic(pipeline.topic), expected=1)
    assert [value for value, _ in parked] == [b"{this is not json"]
    headers = parked[0][1]
    assert headers["dlq_consumer"].decode() == pipeline.group
    assert b"not a CloudEvents JSON envelope" in headers["dlq_reason"]


async def test_event_whose_handler_keeps_failing_is_dead_lettered_after_retries(pipeline: Pipeline) -> None:
    calls: list[int] = []

    async def refuse_odd(session: AsyncSession, event: CloudEvent) -> None:
        amount = event.payload(ThingHappenedV1).amount
        if amount % 2:
            calls.append(amount)
            raise RuntimeError(f"odd amount {amount}")  # no verdict on the data: retried
        await add_amount(session, event)

    async def refuse_negative(session: AsyncSession, event: CloudEvent) -> None:
        if event.payload(ThingHappenedV1).amount < 0:
            raise PoisonMessage("negative amounts can never be applied")
        await refuse_odd(session, event)

    await pipeline.start_relay()
    for amount in (3, -2, 4):
        await pipeline.write(amount)
    await pipeline.start_consumer(refuse_negative)
    await eventually(lambda: _total_is(pipeline, 4), what="the good event after the failing ones")

    parked = await pipeline.read_topic(dead_letter_topic(pipeline.topic), expected=2)
    reasons = sorted(headers["dlq_reason"].decode() for _, headers in parked)
    assert reasons == ["PoisonMessage: negative amounts can never be applied", "RuntimeError: odd amount 3"]
    assert calls == [3, 3, 3]  # the default three attempts, then the dead-letter topic


async def test_event_whose_handler_fails_on_its_data_is_dead_lettered_at_once_not_retried(pipeline: Pipeline) -> None:
    calls: list[int] = []

    async def overflow_on_seven(session: AsyncSession, event: CloudEvent) -> None:
        amount = event.payload(ThingHappenedV1).amount
        if amount == 7:
            calls.append(amount)
            Decimal("9e999999") * 10  # decimal.Overflow: the same data overflows on every attempt
        await add_amount(session, event)

    await pipeline.start_relay()
    for amount in (7, 5):
        await pipeline.write(amount)
    await pipeline.start_consumer(overflow_on_seven)
    await eventually(lambda: _total_is(pipeline, 5), what="the good event after the poison")

    [(_, headers)] = await pipeline.read_topic(dead_letter_topic(pipeline.topic), expected=1)
    assert headers["dlq_reason"].decode().startswith("Overflow:")
    assert calls == [7]


@pytest.mark.skipif(backend_name() != "postgresql", reason="row locking across relays is PostgreSQL's")
async def test_two_relays_on_postgresql_never_publish_the_same_row(pipeline: Pipeline) -> None:
    for amount in range(1, 201):
        await pipeline.write(amount)
    await pipeline.start_relay()
    await pipeline.start_relay()
    await eventually(lambda: _unsent_is(pipeline, 0), what="both relays to drain the outbox")
    published = await pipeline.read_topic(pipeline.topic, expected=201, timeout_s=5)
    assert len(published) == 200


async def _replayed_since(before: float) -> bool:
    return OUTBOX_REPLAYS.labels("test-producer")._value.get() > before


async def _total_is(pipeline: Pipeline, expected: int) -> bool:
    return await pipeline.total() == expected


async def _unsent_is(pipeline: Pipeline, expected: int) -> bool:
    return await pipeline.unsent() == expected


async def _duplicates_at_least(pipeline: Pipeline, expected: int) -> bool:
    return duplicates_seen(pipeline.group) >= expected
