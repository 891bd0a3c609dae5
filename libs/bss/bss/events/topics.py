"""Kafka topics of the suite, declared once: one per producing service, `bss.usage` for high-volume usage,
and a `<topic>.dlq` dead-letter topic for each.

This declaration is the only place a topic's shape is written down. `python -m bss.events.topicgen` renders it
into the compose init script, the Kubernetes Job and the Strimzi `KafkaTopic` resources; a production service
compares the broker's topics with it at start and refuses to run on a topic that is missing or weaker than
declared (`bss.kafka_topics`, ADR 0016). The embedded broker has one node: there the topics are created with one
replica, and replication is not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

CATALOG = "bss.catalog"
SUBSCRIPTIONS = "bss.subscriptions"
BILLING = "bss.billing"
SUPPORT = "bss.support"
USAGE = "bss.usage"
DEAD_LETTER_SUFFIX = ".dlq"

DAY_MS = 24 * 3600 * 1000
REPLICATION_FACTOR = 3
"""Copies of every partition in production: one broker may be down and another lost without losing a record."""
MIN_INSYNC_REPLICAS = 2
"""With the producer's acks=all, a write is acknowledged once two brokers have it."""
EVENT_RETENTION_MS = 7 * DAY_MS
"""Long enough for a consumer stopped over a long weekend to catch up; the outbox replays only its last hour."""
DEAD_LETTER_RETENTION_MS = 30 * DAY_MS
"""Dead letters wait for a person to look at them: a month."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as production must have it; a broker may hold more partitions or stronger settings, never fewer."""

    name: str
    partitions: int
    replication_factor: int = REPLICATION_FACTOR
    min_insync_replicas: int = MIN_INSYNC_REPLICAS
    retention_ms: int = EVENT_RETENTION_MS
    cleanup_policy: str = "delete"  # events are a history, not a table: compaction would drop all but the last

    def configs(self) -> dict[str, str]:
        """The topic-level configs, as `kafka-topics.sh --config` and a `KafkaTopic` take them."""
        return {
            "min.insync.replicas": str(self.min_insync_replicas),
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
        }


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(CATALOG, 3),
    TopicSpec(SUBSCRIPTIONS, 6),
    TopicSpec(BILLING, 6),
    TopicSpec(SUPPORT, 6),
    TopicSpec(USAGE, 12),
)
"""The event topics; partitions bound how many consumers of one group work at once (billing's usage: 12)."""


def dead_letter_topic(topic: str) -> str:
    """Where a consumer of `topic` parks messages it cannot process, with the error in the headers."""
    return topic + DEAD_LETTER_SUFFIX


def dead_letter_spec(spec: TopicSpec) -> TopicSpec:
    """A topic's dead letters: one partition (they are rare and read in order), kept for a month."""
    return TopicSpec(dead_letter_topic(spec.name), 1, retention_ms=DEAD_LETTER_RETENTION_MS)


DECLARED_TOPICS: tuple[TopicSpec, ...] = (*TOPICS, *(dead_letter_spec(spec) for spec in TOPICS))
"""Every topic the suite needs, dead-letter topics included, in the order the generated files list them."""


def spec_for(topic: str) -> TopicSpec:
    """The declaration of `topic`; a topic the suite does not declare (tests, benchmarks) gets a small default."""
    for spec in DECLARED_TOPICS:
        if spec.name == topic:
            return spec
    return TopicSpec(topic, 1 if topic.endswith(DEAD_LETTER_SUFFIX) else 3)
