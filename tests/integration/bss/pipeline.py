"""A producer service and a consumer service in miniature, wired with the real outbox, relay, broker and inbox.

The producer writes a `things` row and its `ThingHappened` event in one transaction; the consumer adds the
event's amount to a counter, which is not idempotent by itself: only the inbox keeps it exactly-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from typing import ClassVar

from aiokafka import AIOKafkaProducer
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bss.clock import SystemClock
from bss.db import create_engine, is_sqlite, session_factory
from bss.embedded_broker import EmbeddedBroker
from bss.events.envelope import CloudEvent, EventData, make_event
from bss.events.topics import TopicSpec, dead_letter_topic
from bss.kafka import ensure_topics, new_producer
from bss.messaging.consumer import BatchHandler, ConsumerConfig, ConsumerSpec, EventConsumer, Handler
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.messaging.relay import OutboxRelay, RelayConfig
from bss.messaging.tables import MessagingTables
from tests.harness.databases import DatabaseFactory
from tests.harness.polling import read_topic


class ThingHappenedV1(EventData):
    event_type: ClassVar[str] = "bss.test.ThingHappened.v1"
    topic: ClassVar[str] = "bss.test.things"

    thing_id: str
    amount: int

    def subject(self) -> str:
        return self.thing_id


producer_metadata = MetaData()
things = Table("things", producer_metadata, Column("id", String(64), primary_key=True), Column("amount", Integer))
producer_tables = MessagingTables.define(producer_metadata)

consumer_metadata = MetaData()
counter = Table("counter", consumer_metadata, Column("name", String(20), primary_key=True), Column("value", Integer))
consumer_tables = MessagingTables.define(consumer_metadata)


@dataclass
class Pipeline:
    broker: EmbeddedBroker
    producer_engine: AsyncEngine
    consumer_engine: AsyncEngine
    topic: str
    group: str
    producer_sessions: async_sessionmaker[AsyncSession] = field(init=False)
    consumer_sessions: async_sessionmaker[AsyncSession] = field(init=False)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    producers: list[AIOKafkaProducer] = field(default_factory=list)
    relays: list[OutboxRelay] = field(default_factory=list)
    consumers: list[EventConsumer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.producer_sessions = session_factory(self.producer_engine)
        self.consumer_sessions = session_factory(self.consumer_engine)
        self.outbox = Outbox(producer_tables, source="/bss/test-producer")

    @classmethod
    async def create(cls, broker: EmbeddedBroker, databases: DatabaseFactory) -> Pipeline:
        producer_engine = create_engine(await databases.create("producer"))
        consumer_engine = create_engine(await databases.create("consumer"))
        async with producer_engine.begin() as connection:
            await connection.run_sync(producer_metadata.create_all)
        async with consumer_engine.begin() as connection:
            await connection.run_sync(consumer_metadata.create_all)
            await connection.execute(insert(counter).values(name="total", value=0))
        suffix = uuid.uuid4().hex[:8]
        pipeline = cls(broker, producer_engine, consumer_engine, f"bss.test.things.{suffix}", f"test-{suffix}")
        await pipeline.ensure_topics()
        return pipeline

    async def ensure_topics(self) -> None:
        await ensure_topics(
            self.broker.bootstrap_servers, [TopicSpec(self.topic, 3), TopicSpec(dead_letter_topic(self.topic), 1)]
        )

    async def write(self, amount: int, thing_id: str | None = None) -> CloudEvent:
        """The state change and its event, in one transaction; one thing's events share a partition."""
        thing_id = thing_id or uuid.uuid4().hex
        event = make_event(ThingHappenedV1(thing_id=thing_id, amount=amount), source="/test", time=SystemClock().now())
        async with self.producer_sessions() as session, session.begin():
            await session.execute(insert(things).values(id=uuid.uuid4().hex, amount=amount))
            await self.outbox.add_envelopes(session, [(event, self.topic, thing_id)], now=SystemClock().now())
        return event

    async def new_producer(self) -> AIOKafkaProducer:
        producer = new_producer(self.broker.bootstrap_servers, idempotent=False, client_id="test")
        await producer.start()
        self.producers.append(producer)
        return producer

    async def start_relay(self) -> OutboxRelay:
        relay = OutboxRelay(
            config=RelayConfig(
                service="test-producer",
                bootstrap_servers=self.broker.bootstrap_servers,
                poll_interval_s=0.05,
                broker_check_interval_s=0.3,
                max_backoff_s=0.5,
            ),
            session_factory=self.producer_sessions,
            tables=producer_tables,
            producer=await self.new_producer(),
            clock=SystemClock(),
            row_locking=not is_sqlite(str(self.producer_engine.url)),
        )
        self.relays.append(relay)
        self.tasks.append(asyncio.create_task(relay.run()))
        return relay

    async def start_consumer(
        self, handler: Handler | None = None, *, batch_handler: BatchHandler | None = None
    ) -> tuple[EventConsumer, asyncio.Task[None]]:
        if batch_handler is not None:
            spec = ConsumerSpec(
                name=self.group, topics=(self.topic,), batch_handlers={ThingHappenedV1.event_type: batch_handler}
            )
        else:
            spec = ConsumerSpec(
                name=self.group, topics=(self.topic,), handlers={ThingHappenedV1.event_type: handler or add_amount}
            )
        consumer = EventConsumer(
            spec=spec,
            config=ConsumerConfig(
                bootstrap_servers=self.broker.bootstrap_servers,
                client_id="test-consumer",
                rewind_check_interval_s=0.3,
                session_timeout_ms=2000,
                retry_backoff_s=0.02,
                max_backoff_s=0.2,
            ),
            session_factory=self.consumer_sessions,
            inbox=Inbox(consumer_tables),
            producer=await self.new_producer(),
            clock=SystemClock(),
        )
        task = asyncio.create_task(consumer.run())
        self.consumers.append(consumer)
        self.tasks.append(task)
        return consumer, task

    async def total(self) -> int:
        async with self.consumer_sessions() as session:
            return int((await session.execute(select(counter.c.value))).scalar_one())

    async def unsent(self) -> int:
        async with self.producer_sessions() as session:
            rows = await session.execute(
                select(producer_tables.outbox.c.seq).where(producer_tables.outbox.c.sent_at.is_(None))
            )
            return len(rows.all())

    async def read_topic(
        self, topic: str, expected: int, timeout_s: float = 20.0
    ) -> list[tuple[bytes, dict[str, bytes]]]:
        """Every message on `topic` from the start (stops once `expected` arrived or at the timeout)."""
        return await read_topic(self.broker.bootstrap_servers, topic, expected, timeout_s=timeout_s)

    async def close(self) -> None:
        for relay in self.relays:
            relay.stop()
        for consumer in self.consumers:
            consumer.stop()
        for task in self.tasks:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, timeout=10)
        for producer in self.producers:
            await producer.stop()
        await self.producer_engine.dispose()
        await self.consumer_engine.dispose()


async def add_amount(session: AsyncSession, event: CloudEvent) -> None:
    """The consumer's effect: not idempotent by itself."""
    payload = event.payload(ThingHappenedV1)
    await session.execute(
        update(counter).where(counter.c.name == "total").values(value=counter.c.value + payload.amount)
    )


async def add_amounts(session: AsyncSession, events: list[CloudEvent]) -> None:
    """The batched effect: one update for the whole batch."""
    total = sum(event.payload(ThingHappenedV1).amount for event in events)
    await session.execute(update(counter).where(counter.c.name == "total").values(value=counter.c.value + total))
