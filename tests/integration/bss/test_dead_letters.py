"""Dead letters always leave: cut to fit, and a letter the broker refuses is sent again in its minimal form."""

from __future__ import annotations

import hashlib

import pytest
from aiokafka import ConsumerRecord

from bss.embedded_broker import EmbeddedBroker
from bss.events.topics import dead_letter_topic
from bss.kafka import new_producer
from bss.messaging import dead_letters
from bss.messaging.dead_letters import DeadLetterLimits, compose, minimal
from tests.harness.polling import read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")


def record(value: bytes, *, key: bytes | None = b"k", headers: list[tuple[str, bytes]] | None = None) -> ConsumerRecord:
    return ConsumerRecord(
        topic="t.poison", partition=3, offset=41, timestamp=0, timestamp_type=0, key=key, value=value,
        checksum=None, serialized_key_size=len(key or b""), serialized_value_size=len(value), headers=headers or [],
    )  # fmt: skip


def test_dead_letter_keeps_a_small_record_whole_with_its_origin_size_and_digest() -> None:
    letter = compose(record(b"{oops", headers=[("event-id", b"e-1")]), "boom", consumer="c", limits=DeadLetterLimits())
    headers = dict(letter.headers)
    assert (letter.topic, letter.key, letter.value) == (dead_letter_topic("t.poison"), b"k", b"{oops")
    assert headers["event-id"] == b"e-1"
    assert (headers["dlq_reason"], headers["dlq_partition"], headers["dlq_offset"]) == (b"boom", b"3", b"41")
    assert headers["dlq_payload_size"] == b"5"
    assert headers["dlq_payload_sha256"] == hashlib.sha256(b"{oops").hexdigest().encode()
    assert "dlq_truncated" not in headers


def test_dead_letter_cuts_payload_key_and_headers_to_its_limits_and_says_so() -> None:
    limits = DeadLetterLimits(payload_bytes=10, key_bytes=4, headers_bytes=20)
    many = [(f"h{i}", b"x" * 8) for i in range(5)]
    letter = compose(
        record(b"0123456789abcdef", key=b"long-key", headers=many), "r" * 5000, consumer="c", limits=limits
    )
    headers = dict(letter.headers)
    assert (letter.value, letter.key) == (b"0123456789", b"long")
    assert headers["dlq_truncated"] == b"true"
    assert headers["dlq_payload_size"] == b"16"
    assert headers["dlq_payload_sha256"] == hashlib.sha256(b"0123456789abcdef").hexdigest().encode()
    assert (headers["dlq_headers_dropped"], headers["dlq_key_size"]) == (b"3", b"8")
    assert len(headers["dlq_reason"]) == 1000


def test_minimal_dead_letter_keeps_only_its_own_headers_and_the_payloads_first_kibibyte() -> None:
    letter = minimal(
        compose(record(b"y" * 5000, headers=[("big", b"z" * 900)]), "r", consumer="c", limits=DeadLetterLimits())
    )
    assert len(letter.value) == 1024
    assert all(name.startswith("dlq_") for name, _ in letter.headers)
    assert dict(letter.headers)["dlq_truncated"] == b"true"


async def test_a_dead_letter_the_broker_refuses_as_too_large_is_sent_in_its_minimal_form(
    broker: EmbeddedBroker,
) -> None:
    producer = new_producer(broker.bootstrap_servers, idempotent=False, client_id="dlq-test")
    await producer.start()
    try:
        payload = b"p" * 1_500_000  # over the producer's 1 MiB request limit, kept whole by these limits
        letter = compose(record(payload), "too big", consumer="c", limits=DeadLetterLimits(payload_bytes=4_000_000))
        assert await dead_letters.send(producer, letter, backoff_s=0.05, max_backoff_s=0.1)
    finally:
        await producer.stop()
    [(value, headers)] = await read_topic(broker.bootstrap_servers, dead_letter_topic("t.poison"), 1, timeout_s=10)
    assert value == payload[:1024]
    assert headers["dlq_truncated"] == b"true"
    assert headers["dlq_payload_size"] == b"1500000"
