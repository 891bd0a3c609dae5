"""Kafka topics of the suite: one per producing service, and `bss.usage` for high-volume usage."""

from __future__ import annotations

from dataclasses import dataclass

CATALOG = "bss.catalog"
SUBSCRIPTIONS = "bss.subscriptions"
BILLING = "bss.billing"
SUPPORT = "bss.support"
USAGE = "bss.usage"
DEAD_LETTER_SUFFIX = ".dlq"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(CATALOG, 3),
    TopicSpec(SUBSCRIPTIONS, 6),
    TopicSpec(BILLING, 6),
    TopicSpec(SUPPORT, 6),
    TopicSpec(USAGE, 12),
)


def dead_letter_topic(topic: str) -> str:
    """Where a consumer of `topic` parks messages it cannot process, with the error in the headers."""
    return topic + DEAD_LETTER_SUFFIX


def spec_for(topic: str) -> TopicSpec:
    for spec in TOPICS:
        if spec.name == topic:
            return spec
    return TopicSpec(topic, 1 if topic.endswith(DEAD_LETTER_SUFFIX) else 3)
