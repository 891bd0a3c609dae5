"""Dead letters: a record a consumer cannot apply, set aside on `<topic>.dlq` so the consumer moves on.

A dead letter carries the record's key, headers and payload with why it failed and where it came from
(`dlq_reason`, `dlq_consumer`, `dlq_topic`, `dlq_partition`, `dlq_offset`), the payload's size and SHA-256
(`dlq_payload_size`, `dlq_payload_sha256`), and `dlq_truncated` when the payload was cut to fit: a record of
the source topic's full size, plus headers, would not fit the producer's request limit, and a dead letter that
cannot be written must never stop the consumer (a crash loop that replays the same poison forever).

Sending waits out a broker that is down (the consumer cannot move on without it anyway: nothing is lost). A
refusal that retrying will not cure (too large, not authorized) is answered by a second, minimal dead letter
(headers and a 1 KiB head of the payload); if even that is refused, the record's coordinates and digest are
logged at error level, and the record itself stays in the source topic for its retention.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError, KafkaTimeoutError

from bss.events.topics import dead_letter_topic

log = structlog.get_logger("bss.dead_letters")

Header = tuple[str, bytes]

MINIMAL_PAYLOAD_BYTES = 1024
_REASON_CHARS = 1000


@dataclass(frozen=True, slots=True)
class DeadLetterLimits:
    """What of a record a dead letter keeps: payload and key bytes, and its original headers' total bytes."""

    payload_bytes: int = 256 * 1024
    key_bytes: int = 1024
    headers_bytes: int = 16 * 1024


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[Header]


def compose(
    record: ConsumerRecord[bytes, bytes], reason: str, *, consumer: str, limits: DeadLetterLimits
) -> DeadLetter:
    """The dead letter of `record`: its data cut to `limits`, with the reason, the origin and the payload's digest."""
    payload = record.value or b""
    kept, dropped = _headers_within(list(record.headers or ()), limits.headers_bytes)
    headers: list[Header] = [
        *kept,
        ("dlq_reason", reason[:_REASON_CHARS].encode("utf-8", "replace")),
        ("dlq_consumer", consumer.encode()),
        ("dlq_topic", record.topic.encode()),
        ("dlq_partition", str(record.partition).encode()),
        ("dlq_offset", str(record.offset).encode()),
        ("dlq_payload_size", str(len(payload)).encode()),
        ("dlq_payload_sha256", hashlib.sha256(payload).hexdigest().encode()),
    ]
    if len(payload) > limits.payload_bytes:
        headers.append(("dlq_truncated", b"true"))
    if dropped:
        headers.append(("dlq_headers_dropped", str(dropped).encode()))
    key = record.key
    if key is not None and len(key) > limits.key_bytes:
        headers.append(("dlq_key_size", str(len(key)).encode()))
        key = key[: limits.key_bytes]
    return DeadLetter(dead_letter_topic(record.topic), key, payload[: limits.payload_bytes], headers)


def minimal(letter: DeadLetter) -> DeadLetter:
    """The same dead letter with only its own headers (the `dlq_` ones) and the payload's first KiB."""
    headers = [(name, value) for name, value in letter.headers if name.startswith("dlq_")]
    if len(letter.value) > MINIMAL_PAYLOAD_BYTES and not any(name == "dlq_truncated" for name, _ in headers):
        headers.append(("dlq_truncated", b"true"))
    key = letter.key[:MINIMAL_PAYLOAD_BYTES] if letter.key else letter.key
    return DeadLetter(letter.topic, key, letter.value[:MINIMAL_PAYLOAD_BYTES], headers)


async def send(producer: AIOKafkaProducer, letter: DeadLetter, *, backoff_s: float, max_backoff_s: float) -> bool:
    """Write `letter`, waiting out a broker that is down; False if the broker refuses it for good (too large, not
    authorized, ...), after trying its minimal form too."""
    for attempt in (letter, minimal(letter)):
        if await _send_until_answered(producer, attempt, backoff_s=backoff_s, max_backoff_s=max_backoff_s):
            return True
    return False


async def _send_until_answered(
    producer: AIOKafkaProducer, letter: DeadLetter, *, backoff_s: float, max_backoff_s: float
) -> bool:
    while True:
        try:
            await producer.send_and_wait(letter.topic, value=letter.value, key=letter.key, headers=letter.headers)
            return True
        except (KafkaTimeoutError, OSError) as exc:  # the broker did not answer: not this letter's fault
            error: Exception = exc
        except KafkaError as exc:
            if not exc.retriable:
                log.error("dead letter refused by the broker", topic=letter.topic, error=f"{type(exc).__name__}")
                return False
            error = exc
        log.warning("broker unavailable; retrying dead letter", topic=letter.topic, error=type(error).__name__)
        await asyncio.sleep(backoff_s)
        backoff_s = min(backoff_s * 2, max_backoff_s)


def _headers_within(headers: list[Header], budget: int) -> tuple[list[Header], int]:
    """The record's headers in order while they fit `budget` bytes, and how many were dropped."""
    kept: list[Header] = []
    used = 0
    for name, value in headers:
        size = len(name) + len(value or b"")
        if used + size > budget:
            return kept, len(headers) - len(kept)
        kept.append((name, value or b""))
        used += size
    return kept, 0
