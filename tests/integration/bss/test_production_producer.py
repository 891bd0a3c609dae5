"""The producer production uses (`BSS_KAFKA_IDEMPOTENT_PRODUCER=true`), at the protocol boundary.

The embedded broker refuses `InitProducerId`, and no Kafka-compatible broker that supports idempotent producers
installs from the registries this project reaches, so these tests put a fake Kafka behind aiokafka's connections
(`aiokafka.client.create_conn`): aiokafka builds and sends the real protocol requests (InitProducerId, Metadata,
Produce with v2 record batches), the fake answers as one Kafka broker would, de-duplicating by producer id and
sequence as Kafka does. What they cannot show is a real cluster's replication; see README, "Production".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.protocol.metadata import MetadataResponse_v1
from aiokafka.protocol.produce import ProduceResponse_v3
from aiokafka.protocol.transaction import InitProducerIdResponse_v0
from aiokafka.record.default_records import DefaultRecordBatch
from sqlalchemy import MetaData

from bss.clock import SystemClock
from bss.kafka import new_producer
from bss.messaging.relay import OutboxRelay, RelayConfig
from bss.messaging.tables import MessagingTables
from bss.settings import ServiceSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

NODE, HOST, PORT = 1, "kafka-fake", 9092
API_VERSIONS = {0: (3, 3), 3: (1, 1), 22: (0, 0)}  # Produce v3 (record batch v2), Metadata v1, InitProducerId v0
PRODUCER_ID, EPOCH = 4711, 0
NONE, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND = 0, 19, 20
TOPIC_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED, UNKNOWN = 29, 31, -1


@dataclass
class Appended:
    producer_id: int
    epoch: int
    sequence: int
    offset: int
    values: list[bytes]


@dataclass
class FakeKafka:
    """One broker, as aiokafka's connections see it: every request is kept, and answered as Kafka would."""

    topics: dict[str, int]
    init_pid_error: int = NONE
    produce_errors: list[int] = field(default_factory=list)  # answers for the next produce requests, in order
    append_before_error: bool = False  # an error after the append (the write is on the leader, unacknowledged)
    hold_produce: asyncio.Event | None = None  # produce answers wait for it: a request stays in flight
    requests: list[Any] = field(default_factory=list)
    logs: dict[tuple[str, int], list[Appended]] = field(default_factory=dict)

    def produce_requests(self) -> list[Any]:
        return [request for request in self.requests if request.API_KEY == 0]

    def batches(self) -> list[tuple[str, int, Any]]:
        """(topic, partition, record batch) of every produce request, in the order they were sent."""
        return [
            (topic, partition, DefaultRecordBatch(bytes(data)))
            for request in self.produce_requests()
            for topic, partitions in request.topics
            for partition, data in partitions
        ]

    async def answer(self, request: Any) -> Any:
        self.requests.append(request)
        if request.API_KEY == 3:
            return self._metadata()
        if request.API_KEY == 22:
            producer_id = PRODUCER_ID if self.init_pid_error == NONE else -1
            return InitProducerIdResponse_v0(0, self.init_pid_error, producer_id, EPOCH)
        if request.API_KEY == 0:
            if self.hold_produce is not None:
                await self.hold_produce.wait()
            return self._produce(request)
        raise AssertionError(f"the fake does not answer {type(request).__name__}")

    def _metadata(self) -> MetadataResponse_v1:
        topics = [
            (0, name, False, [(0, partition, NODE, [NODE], [NODE]) for partition in range(count)])
            for name, count in self.topics.items()
        ]
        return MetadataResponse_v1([(NODE, HOST, PORT, None)], NODE, topics)

    def _produce(self, request: Any) -> ProduceResponse_v3:
        error = self.produce_errors.pop(0) if self.produce_errors else NONE
        answers = []
        for topic, partitions in request.topics:
            results = []
            for partition, data in partitions:
                batch = DefaultRecordBatch(bytes(data))
                offset = -1
                if error == NONE or self.append_before_error:
                    offset = self._append(topic, partition, batch)
                results.append((partition, error, offset, -1))
            answers.append((topic, results))
        return ProduceResponse_v3(answers, 0)

    def _append(self, topic: str, partition: int, batch: Any) -> int:
        """Kafka's idempotence: a batch whose producer id and sequence the log already has is not appended again;
        the answer carries the offset it got the first time."""
        log = self.logs.setdefault((topic, partition), [])
        for appended in log:
            if (appended.producer_id, appended.sequence) == (batch.producer_id, batch.base_sequence):
                return appended.offset
        offset = sum(len(appended.values) for appended in log)
        values = [bytes(record.value) for record in batch]
        log.append(Appended(batch.producer_id, batch.producer_epoch, batch.base_sequence, offset, values))
        return offset


class FakeConnection:
    """Stands where `aiokafka.conn.AIOKafkaConnection` stands: the client hands it versionless requests."""

    def __init__(self, kafka: FakeKafka, host: str, port: int) -> None:
        self.kafka, self.host, self.port = kafka, host, port

    def send(self, request: Any, expect_response: bool = True) -> Awaitable[Any]:
        return self.kafka.answer(request.prepare(API_VERSIONS))

    def connected(self) -> bool:
        return True

    def close(self, reason: Any = None, exc: Any = None) -> asyncio.Future[None]:
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        closed.set_result(None)
        return closed


@pytest.fixture
def kafka(monkeypatch: pytest.MonkeyPatch) -> FakeKafka:
    fake = FakeKafka(topics={"bss.usage": 12, "bss.catalog": 3})

    async def create_conn(host: str, port: int, **_options: Any) -> FakeConnection:
        return FakeConnection(fake, host, port)

    monkeypatch.setattr("aiokafka.client.create_conn", create_conn)
    return fake


@pytest_asyncio.fixture(loop_scope="session")
async def producer(kafka: FakeKafka) -> AsyncIterator[AIOKafkaProducer]:
    """The producer a production service builds (`bss.kafka.new_producer`, idempotent)."""
    instance = new_producer(f"{HOST}:{PORT}", idempotent=True, client_id="billing-test")
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


async def test_production_turns_the_idempotent_producer_on_and_the_embedded_default_leaves_it_off() -> None:
    assert ServiceSettings(environment="production").kafka_idempotent_producer is True
    assert ServiceSettings(environment="embedded").kafka_idempotent_producer is False


async def test_start_gets_a_producer_id_and_every_batch_carries_it_with_acks_all(
    kafka: FakeKafka, producer: AIOKafkaProducer
) -> None:
    assert [type(r).__name__ for r in kafka.requests[:2]] == ["MetadataRequest_v1", "InitProducerIdRequest_v0"]
    assert kafka.requests[1].transactional_id is None, "idempotent, not transactional"
    first = await producer.send_and_wait("bss.usage", b"one", key=b"sub-1")
    second = await producer.send_and_wait("bss.usage", b"two", key=b"sub-1")
    assert (first.partition, first.offset, second.offset) == (second.partition, 0, 1)
    for request in kafka.produce_requests():
        assert request.required_acks == -1, "acks=all: every in-sync replica has the record"
    batches = [batch for _, _, batch in kafka.batches()]
    assert [(b.producer_id, b.producer_epoch, b.base_sequence) for b in batches] == [
        (PRODUCER_ID, EPOCH, 0),
        (PRODUCER_ID, EPOCH, 1),
    ]
    assert sum(1 for r in kafka.requests if r.API_KEY == 22) == 1


async def test_one_produce_request_is_in_flight_per_broker_so_order_holds(
    kafka: FakeKafka, producer: AIOKafkaProducer
) -> None:
    """aiokafka sends the next batch to a broker only once the last one was answered (max in flight 1 per broker),
    so a retried batch can never overtake a later one."""
    kafka.hold_produce = asyncio.Event()
    first = asyncio.ensure_future(producer.send_and_wait("bss.usage", b"one", key=b"sub-1"))
    await asyncio.sleep(0.1)
    second = asyncio.ensure_future(producer.send_and_wait("bss.usage", b"two", key=b"sub-1"))
    await asyncio.sleep(0.2)
    assert len(kafka.produce_requests()) == 1, "a second request went out while the first was unanswered"
    kafka.hold_produce.set()
    assert [(await first).offset, (await second).offset] == [0, 1]
    assert [batch.base_sequence for _, _, batch in kafka.batches()] == [0, 1]


async def test_a_write_appended_but_not_replicated_enough_is_retried_and_kept_once(
    kafka: FakeKafka, producer: AIOKafkaProducer
) -> None:
    """NOT_ENOUGH_REPLICAS_AFTER_APPEND: the leader has the record but fewer than min.insync.replicas do. The
    retry carries the same producer id and sequence, and the broker keeps the record once."""
    kafka.produce_errors = [NOT_ENOUGH_REPLICAS_AFTER_APPEND]
    kafka.append_before_error = True
    acknowledged = await asyncio.wait_for(producer.send_and_wait("bss.usage", b"once", key=b"sub-9"), 10)
    sent = [(batch.producer_id, batch.base_sequence) for _, _, batch in kafka.batches()]
    assert sent == [(PRODUCER_ID, 0), (PRODUCER_ID, 0)], "the retry is the same batch"
    ((topic_partition, log),) = kafka.logs.items()
    assert [appended.values for appended in log] == [[b"once"]], "kept once"
    assert (acknowledged.topic, acknowledged.partition, acknowledged.offset) == (*topic_partition, 0)


async def test_not_enough_replicas_is_retried_until_the_in_sync_replicas_are_back(
    kafka: FakeKafka, producer: AIOKafkaProducer
) -> None:
    """With acks=all and min.insync.replicas 2, a partition with one in-sync replica refuses writes; the producer
    waits it out instead of failing (an idempotent batch never expires), so the outbox row stays unsent until then."""
    kafka.produce_errors = [NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS]
    acknowledged = await asyncio.wait_for(producer.send_and_wait("bss.catalog", b"later", key=b"p-1"), 10)
    assert len(kafka.produce_requests()) == 3
    assert {batch.base_sequence for _, _, batch in kafka.batches()} == {0}
    assert acknowledged.offset == 0


async def test_a_refused_write_fails_the_send_with_a_kafka_error(kafka: FakeKafka, producer: AIOKafkaProducer) -> None:
    """What the outbox relay counts as a failed round: the rows stay unsent and go again after a back-off."""
    kafka.produce_errors = [TOPIC_AUTHORIZATION_FAILED]
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.send_and_wait("bss.usage", b"refused", key=b"sub-1"), 10)
    assert kafka.logs == {}


@pytest.mark.parametrize(
    "error", [pytest.param(CLUSTER_AUTHORIZATION_FAILED, id="not-authorized"), pytest.param(UNKNOWN, id="tansu")]
)
async def test_a_refused_producer_id_fails_the_start_with_a_kafka_error(kafka: FakeKafka, error: int) -> None:
    """A broker that refuses InitProducerId (the embedded one answers UNKNOWN) fails `start()` with a KafkaError,
    which a service's broker connector treats as 'not connected yet': it backs off and tries again, not ready."""
    kafka.init_pid_error = error
    instance = new_producer(f"{HOST}:{PORT}", idempotent=True, client_id="billing-test")
    try:
        with pytest.raises(KafkaError):
            await asyncio.wait_for(instance.start(), 10)
    finally:
        await instance.stop()
    assert kafka.produce_requests() == []


async def test_the_outbox_relay_publishes_through_the_idempotent_producer_in_order(
    kafka: FakeKafka, producer: AIOKafkaProducer
) -> None:
    """The relay's own path (batches per partition, `send_batch`), with the producer production builds."""
    relay = OutboxRelay(
        config=RelayConfig(service="billing", bootstrap_servers=f"{HOST}:{PORT}", create_topics=False),
        session_factory=None,  # type: ignore[arg-type]  # only the sending half is exercised here
        tables=MessagingTables.define(MetaData()),
        producer=producer,
        clock=SystemClock(),
        row_locking=False,
    )
    rows = [
        SimpleNamespace(
            seq=n,
            topic="bss.usage",
            key="sub-1",
            payload=f"event-{n}".encode(),
            event_type="UsageRecorded",
            event_id=f"e-{n}",
        )
        for n in range(3)
    ]
    marks, published = await relay._send(rows)  # type: ignore[arg-type]
    assert published == 3
    ((_, log),) = kafka.logs.items()
    assert [value for appended in log for value in appended.values] == [b"event-0", b"event-1", b"event-2"]
    assert all(batch.producer_id == PRODUCER_ID for _, _, batch in kafka.batches())
    assert [mark.event_id for mark in marks] == ["e-0"]
