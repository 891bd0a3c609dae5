"""The broker side of a benchmark: a private embedded broker, raw aiokafka rates on it, consumer-group readiness."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner

from bench.cpu import CpuMeter
from bss.embedded_broker import EmbeddedBroker, free_port
from bss.events.envelope import new_event_id
from bss.events.topics import TopicSpec
from bss.kafka import ensure_topics, new_consumer, new_producer

_PARTITIONER = DefaultPartitioner()


@asynccontextmanager
async def embedded_broker() -> AsyncIterator[EmbeddedBroker]:
    """An embedded broker on a free port, for this run only (it keeps its log in memory)."""
    broker = EmbeddedBroker(port=free_port())
    await broker.astart()
    try:
        yield broker
    finally:
        await broker.astop()


@dataclass(frozen=True, slots=True)
class CpuSplit:
    """CPU seconds of one raw stage: the client (this process) and the broker's process (0 when not known)."""

    client_s: float
    broker_s: float


def _stage_meter(broker_pid: int | None) -> CpuMeter:
    """This process (the client) and the broker's process, metered from now."""
    own = os.getpid()
    meter = CpuMeter({"client": lambda: [own], "broker": lambda: [broker_pid] if broker_pid else []})
    meter.start()
    return meter


def _split(meter: CpuMeter) -> CpuSplit:
    meter.stop()
    return CpuSplit(client_s=meter.used["client"], broker_s=meter.used["broker"])


@dataclass(frozen=True, slots=True)
class RawRates:
    """Plain aiokafka on the same broker: what the messaging layer is measured against."""

    messages: int
    produce_s: float
    consume_s: float
    group_join_s: float
    produce_cpu: CpuSplit
    consume_cpu: CpuSplit

    @property
    def produce_per_s(self) -> float:
        return self.messages / self.produce_s

    @property
    def consume_per_s(self) -> float:
        return self.messages / self.consume_s


@dataclass(frozen=True, slots=True)
class RawMessage:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def messages_like(payload: bytes, event_type: str, count: int) -> list[RawMessage]:
    """`count` messages shaped like the relay's: the payload's size, a 32-character key, the CloudEvents headers."""
    return [
        RawMessage(
            key=uuid.uuid4().hex.encode(),
            value=payload,
            headers=[
                ("ce_id", new_event_id().encode()),
                ("ce_type", event_type.encode()),
                ("content-type", b"application/cloudevents+json"),
            ],
        )
        for _ in range(count)
    ]


async def measure_raw_rates(
    bootstrap_servers: str,
    messages: list[RawMessage],
    *,
    partitions: int,
    send_batch: int,
    timeout_s: float,
    record_batches: bool = False,
    broker_pid: int | None = None,
) -> RawRates:
    """Produce `messages` to a fresh topic as the relay sends (per-message `send()`, or record batches per
    partition with `record_batches`), then read them all back in a consumer group.

    The CPU of each stage is this process's and, given `broker_pid`, the broker's, over the timed span only
    (after the producer's warm-up, after the consumer joined its group)."""
    topic = f"bss.bench.raw.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap_servers, [TopicSpec(topic, partitions)])
    produce = _produce_batches if record_batches else _produce
    produce_s, produce_cpu = await produce(bootstrap_servers, topic, messages, send_batch, broker_pid)
    join_s, consume_s, consume_cpu = await _consume(
        bootstrap_servers, topic, len(messages), send_batch, timeout_s, broker_pid
    )
    return RawRates(
        messages=len(messages),
        produce_s=produce_s,
        consume_s=consume_s,
        group_join_s=join_s,
        produce_cpu=produce_cpu,
        consume_cpu=consume_cpu,
    )


async def _produce(
    bootstrap_servers: str, topic: str, messages: list[RawMessage], send_batch: int, broker_pid: int | None
) -> tuple[float, CpuSplit]:
    """Seconds (and CPU) to publish everything: per-message `send()` then one gather per batch, acks=all, not
    idempotent."""
    producer = new_producer(bootstrap_servers, idempotent=False, client_id="bench-raw-producer")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=b"warm-up", key=b"warm-up")  # metadata fetched before timing
        cpu = _stage_meter(broker_pid)
        started = time.perf_counter()
        for first in range(0, len(messages), send_batch):
            pending = [
                await producer.send(topic, value=message.value, key=message.key, headers=message.headers)
                for message in messages[first : first + send_batch]
            ]
            await asyncio.gather(*pending)
        return time.perf_counter() - started, _split(cpu)
    finally:
        await producer.stop()


async def _produce_batches(
    bootstrap_servers: str, topic: str, messages: list[RawMessage], send_batch: int, broker_pid: int | None
) -> tuple[float, CpuSplit]:
    """Seconds (and CPU) to publish everything with `create_batch`/`send_batch` per partition (how the relay
    sends).

    Each key's partition is worked out before the clock starts, as the relay's warm cache has it (its keys are
    subscription ids, which repeat): aiokafka's murmur2 is pure Python, about 13 us per key, which would
    otherwise be most of what this baseline measures."""
    producer = new_producer(bootstrap_servers, idempotent=False, client_id="bench-raw-producer")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=b"warm-up", key=b"warm-up")
        partitions = sorted(await producer.partitions_for(topic))
        partition_of = {message.key: _PARTITIONER(message.key, partitions, partitions) for message in messages}
        cpu = _stage_meter(broker_pid)
        started = time.perf_counter()
        for first in range(0, len(messages), send_batch):
            by_partition: dict[int, list[RawMessage]] = {}
            for message in messages[first : first + send_batch]:
                by_partition.setdefault(partition_of[message.key], []).append(message)
            pending = []
            for partition, group in by_partition.items():
                batch = producer.create_batch()
                for message in group:
                    if (
                        batch.append(key=message.key, value=message.value, timestamp=None, headers=message.headers)
                        is None
                    ):
                        pending.append(await producer.send_batch(batch, topic, partition=partition))
                        batch = producer.create_batch()
                        batch.append(key=message.key, value=message.value, timestamp=None, headers=message.headers)
                pending.append(await producer.send_batch(batch, topic, partition=partition))
            await asyncio.gather(*pending)
        return time.perf_counter() - started, _split(cpu)
    finally:
        await producer.stop()


async def _consume(
    bootstrap_servers: str, topic: str, expected: int, max_records: int, timeout_s: float, broker_pid: int | None
) -> tuple[float, float, CpuSplit]:
    """(group join seconds, seconds to read `expected` records after joining, their CPU), committing after each
    batch."""
    group = f"bench-raw-{uuid.uuid4().hex[:8]}"
    consumer = new_consumer(bootstrap_servers, topic, group_id=group, client_id="bench-raw", max_records=max_records)
    join_started = time.perf_counter()
    await consumer.start()  # returns once the group is joined and partitions are assigned
    cpu = _stage_meter(broker_pid)
    started = time.perf_counter()
    seen = 0
    try:
        target = expected + 1  # the producer's warm-up record is on the topic too
        while seen < target:
            if time.perf_counter() - started > timeout_s:
                raise TimeoutError(f"raw consumer read {seen} of {target} records in {timeout_s}s")
            batch = await consumer.getmany(timeout_ms=200, max_records=max_records)
            seen += sum(len(records) for records in batch.values())
            if batch:
                await consumer.commit()
        return started - join_started, time.perf_counter() - started, _split(cpu)
    finally:
        await consumer.stop()


async def wait_for_stable_group(bootstrap_servers: str, group: str, *, timeout_s: float) -> float:
    """Wait until consumer group `group` has joined (state Stable, with members); returns the seconds it took.

    Joining takes seconds on the embedded broker; a benchmark waits for it so the join is not timed as throughput.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="bench-admin")
    await admin.start()
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout_s:
            for response in await admin.describe_consumer_groups([group]):
                # DescribeGroups groups: (error_code, group_id, state, protocol_type, protocol, members, ...)
                if any(entry[1] == group and entry[2] == "Stable" and entry[5] for entry in response.groups):
                    return time.perf_counter() - started
            await asyncio.sleep(0.1)
        raise TimeoutError(f"consumer group {group} did not become stable in {timeout_s}s")
    finally:
        await admin.close()
