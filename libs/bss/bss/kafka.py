"""Kafka clients configured the one way the suite uses them."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from bss.events.topics import DECLARED_TOPICS, TopicSpec
from bss.kafka_topics import TopicsNotAsDeclared, ensure_topics, prepare_topics, verify_topics


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
    """The suite's topics and their dead-letter topics, as declared."""
    return list(DECLARED_TOPICS)


__all__ = [
    "KafkaError",
    "TopicsNotAsDeclared",
    "all_topic_specs",
    "ensure_topics",
    "new_consumer",
    "new_producer",
    "prepare_topics",
    "verify_topics",
]
