"""Kafka clients configured the one way the suite uses them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from bss.events.topics import TOPICS, TopicSpec, dead_letter_topic


def new_producer(bootstrap_servers: str, *, idempotent: bool, client_id: str) -> AIOKafkaProducer:
    """acks=all always; idempotence only where the broker supports `InitProducerId` (real Kafka)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotent,
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=15_000,
        retry_backoff_ms=200,
    )


def new_consumer(
    bootstrap_servers: str,
    *topics: str,
    group_id: str | None,
    client_id: str,
    max_records: int = 500,
    session_timeout_ms: int = 10_000,
) -> AIOKafkaConsumer:
    """Offsets are committed by hand, after the batch's effects committed in the database."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(100, session_timeout_ms // 10),
        request_timeout_ms=15_000,
        retry_backoff_ms=200,
        metadata_max_age_ms=5_000,
    )


def all_topic_specs() -> list[TopicSpec]:
    """The suite's topics and their dead-letter topics."""
    specs = list(TOPICS)
    specs += [TopicSpec(dead_letter_topic(spec.name), 1) for spec in TOPICS]
    return specs


async def ensure_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec] | None = None, *, timeout_s: float = 15.0
) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    wanted = list(specs) if specs is not None else all_topic_specs()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout_s * 1000))
    async with asyncio.timeout(timeout_s):
        await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in wanted if spec.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process was first: fine
                await admin.create_topics(
                    [NewTopic(spec.name, num_partitions=spec.partitions, replication_factor=1) for spec in missing]
                )
    finally:
        await admin.close()


__all__ = [
    "KafkaError",
    "all_topic_specs",
    "ensure_topics",
    "new_consumer",
    "new_producer",
]
