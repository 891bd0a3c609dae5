"""A producer service and a consumer service in miniature, built from the real outbox, relay, consumer and inbox.

The producer commits a `things` row per event and the event's outbox row in the same transaction. The consumer
adds each event's amount to a counter, which is not idempotent by itself: only the inbox keeps it exactly-once.
The counter also counts applications, so an event applied twice shows up as an application without an inbox row.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from aiokafka import AIOKafkaProducer
from sqlalchemy import BigInteger, Column, Integer, String, Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bss.clock import SystemClock
from bss.db import create_engine, is_sqlite, new_metadata, session_factory
from bss.events.envelope import CloudEvent, EventData, make_event
from bss.events.topics import TopicSpec, dead_letter_topic
from bss.kafka import ensure_topics, new_producer
from bss.messaging.consumer import BatchHandler, ConsumerConfig, ConsumerSpec, EventConsumer, Handler
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.messaging.relay import OutboxRelay, RelayConfig
from bss.messaging.tables import MessagingTables
from bss.throwaway_databases import ThrowawayDatabases

SOURCE = "/bss/bench-producer"


class BenchThingHappenedV1(EventData):
    event_type: ClassVar[str] = "bss.bench.ThingHappened.v1"
    topic: ClassVar[str] = "bss.bench.things"

    thing_id: str
    amount: int

    def subject(self) -> str:
        return self.thing_id


producer_metadata = new_metadata()
things = Table(
    "things",
    producer_metadata,
    Column("id", String(64), primary_key=True),
    Column("amount", Integer, nullable=False),
)
producer_tables = MessagingTables.define(producer_metadata)

consumer_metadata = new_metadata()
counter = Table(
    "counter",
    consumer_metadata,
    Column("name", String(20), primary_key=True),
    Column("applications", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
)
consumer_tables = MessagingTables.define(consumer_metadata)

# event id -> (the event's `time`, when the handler applied it)
AppliedTimes = dict[str, tuple[datetime, datetime]]


def amount_of(index: int) -> int:
    """Event `index`'s amount: varied, so the counter's total checks more than a count."""
    return index % 1000 + 1


def sample_payload() -> bytes:
    """An outbox payload of the size the benchmark writes (for the raw baseline's messages)."""
    data = BenchThingHappenedV1(thing_id=uuid.uuid4().hex, amount=amount_of(499))
    return make_event(data, source=SOURCE, time=SystemClock().now()).to_json()


def recording_handler(applied: AppliedTimes) -> Handler:
    """The consumer's use case: add the amount (inside the inbox transaction) and note when it was applied."""

    async def add_amount(session: AsyncSession, event: CloudEvent) -> None:
        payload = event.payload(BenchThingHappenedV1)
        await session.execute(
            update(counter)
            .where(counter.c.name == "total")
            .values(applications=counter.c.applications + 1, total=counter.c.total + payload.amount)
        )
        applied[event.id] = (event.time, datetime.now(UTC))

    return add_amount


def recording_batch_handler(applied: AppliedTimes) -> BatchHandler:
    """The same use case for a whole batch in one transaction (the runner's batch mode)."""

    async def add_amounts(session: AsyncSession, events: list[CloudEvent]) -> None:
        amounts = sum(event.payload(BenchThingHappenedV1).amount for event in events)
        await session.execute(
            update(counter)
            .where(counter.c.name == "total")
            .values(applications=counter.c.applications + len(events), total=counter.c.total + amounts)
        )
        now = datetime.now(UTC)
        for event in events:
            applied[event.id] = (event.time, now)

    return add_amounts


@dataclass
class Pipeline:
    bootstrap_servers: str
    producer_engine: AsyncEngine
    consumer_engine: AsyncEngine
    topic: str
    group: str
    producer_sessions: async_sessionmaker[AsyncSession] = field(init=False)
    consumer_sessions: async_sessionmaker[AsyncSession] = field(init=False)
    outbox: Outbox = field(init=False)
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    kafka_producers: list[AIOKafkaProducer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.producer_sessions = session_factory(self.producer_engine)
        self.consumer_sessions = session_factory(self.consumer_engine)
        self.outbox = Outbox(producer_tables, source=SOURCE)

    @classmethod
    async def create(cls, bootstrap_servers: str, databases: ThrowawayDatabases, partitions: int) -> Pipeline:
        """Two fresh databases with their schemas, and a fresh topic (plus its dead-letter topic)."""
        producer_engine = create_engine(await databases.create("producer"))
        consumer_engine = create_engine(await databases.create("consumer"))
        async with producer_engine.begin() as connection:
            await connection.run_sync(producer_metadata.create_all)
        async with consumer_engine.begin() as connection:
            await connection.run_sync(consumer_metadata.create_all)
            await connection.execute(insert(counter).values(name="total", applications=0, total=0))
        suffix = uuid.uuid4().hex[:8]
        topic = f"{BenchThingHappenedV1.topic}.{suffix}"
        await ensure_topics(bootstrap_servers, [TopicSpec(topic, partitions), TopicSpec(dead_letter_topic(topic), 1)])
        return cls(bootstrap_servers, producer_engine, consumer_engine, topic, f"bench-{suffix}")

    async def write(self, indexes: Sequence[int], written: list[str]) -> None:
        """One use case: a `things` row per event and the events in the outbox, committed together."""
        now = SystemClock().now()
        thing_ids = [uuid.uuid4().hex for _ in indexes]
        events = [
            make_event(BenchThingHappenedV1(thing_id=thing_id, amount=amount_of(i)), source=SOURCE, time=now)
            for thing_id, i in zip(thing_ids, indexes, strict=True)
        ]
        async with self.producer_sessions() as session, session.begin():
            await session.execute(
                insert(things),
                [{"id": thing_id, "amount": amount_of(i)} for thing_id, i in zip(thing_ids, indexes, strict=True)],
            )
            envelopes = [(event, self.topic, thing_id) for event, thing_id in zip(events, thing_ids, strict=True)]
            await self.outbox.add_envelopes(session, envelopes, now=now)
        written.extend(event.id for event in events)

    async def start_consumer(self, handler: Handler | BatchHandler, *, batch: bool) -> None:
        event_type = BenchThingHappenedV1.event_type
        spec = (
            ConsumerSpec(name=self.group, topics=(self.topic,), batch_handlers={event_type: handler})  # type: ignore[dict-item]
            if batch
            else ConsumerSpec(name=self.group, topics=(self.topic,), handlers={event_type: handler})  # type: ignore[dict-item]
        )
        self.consumer = EventConsumer(
            spec=spec,
            config=ConsumerConfig(bootstrap_servers=self.bootstrap_servers, client_id="bench-consumer"),
            session_factory=self.consumer_sessions,
            inbox=Inbox(consumer_tables),
            producer=await self._new_kafka_producer("bench-consumer"),
            clock=SystemClock(),
        )
        self.tasks.append(asyncio.create_task(self.consumer.run(), name="consumer"))

    async def start_relay(self) -> None:
        self.relay = OutboxRelay(
            config=RelayConfig(service="bench-producer", bootstrap_servers=self.bootstrap_servers),
            session_factory=self.producer_sessions,
            tables=producer_tables,
            producer=await self._new_kafka_producer("bench-relay"),
            clock=SystemClock(),
            row_locking=not is_sqlite(str(self.producer_engine.url)),
        )
        self.tasks.append(asyncio.create_task(self.relay.run(), name="relay"))

    async def _new_kafka_producer(self, client_id: str) -> AIOKafkaProducer:
        producer = new_producer(self.bootstrap_servers, idempotent=False, client_id=client_id)
        await producer.start()
        self.kafka_producers.append(producer)
        return producer

    def crashed(self) -> str | None:
        """The name of a background task (relay, consumer) that ended on its own, if any."""
        for task in self.tasks:
            if task.done() and not task.cancelled():
                return f"{task.get_name()} ({task.exception()!r})" if task.exception() else task.get_name()
        return None

    async def stop(self) -> None:
        """Stop the relay and the consumer (their last round finishes first)."""
        if self.relay is not None:
            self.relay.stop()
        if self.consumer is not None:
            self.consumer.stop()
        for task in self.tasks:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=15)
        self.tasks.clear()

    async def close(self) -> None:
        await self.stop()
        for producer in self.kafka_producers:
            await producer.stop()
        self.kafka_producers.clear()
        await self.producer_engine.dispose()
        await self.consumer_engine.dispose()

    async def unsent(self) -> int:
        outbox = producer_tables.outbox
        async with self.producer_sessions() as session:
            query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            return int((await session.execute(query)).scalar_one())

    async def last_sent_at(self) -> datetime | None:
        async with self.producer_sessions() as session:
            value = (await session.execute(select(func.max(producer_tables.outbox.c.sent_at)))).scalar_one()
        return value if isinstance(value, datetime) else None
