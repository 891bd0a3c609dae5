"""Poison on `bss.usage`: records another system produced straight to the topic that billing cannot count.

Each is set aside (an unreadable record on `bss.usage.dlq`, an event beyond the quantity rule rejected in the
ledger with `quantity_out_of_range`), the valid events around it in the same partition are counted, and the
same holds when an emptied broker gets every record again (a retention replay).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import msgspec
import pytest

from billing.main import create_app
from bss.embedded_broker import EmbeddedBroker
from bss.events import topics
from bss.events.topics import dead_letter_topic
from bss.kafka import new_producer
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import SYSTEM, GatewayIdentity, headers_for
from tests.harness.polling import read_topic
from tests.harness.services import running
from tests.integration.billing.test_ingestion_resilience import total_of
from tests.integration.billing.world import BACKUP_JOBS, BillingWorld, billing_world, eventually, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker, pytest.mark.slow]

HUGE = b'{"id": "' + b"x" * 900_000 + b'"'  # 900 KB, not JSON: more than a dead letter keeps
UNREADABLE = {
    "invalid UTF-8": b'{"id": "\xff\xfe", "type": "bss.billing.UsageRecorded.v1"}',
    "nested 100,000 deep": b"[" * 100_000,
    "not an envelope": b'{"hello": "world"}',
    "900 KB of garbage": HUGE,
}


def envelope(world: BillingWorld, ids: tuple[str, str], event_id: str, quantity: str | bytes) -> bytes:
    """A `UsageRecorded` envelope as another system writes it; `quantity` bytes go in as a raw JSON number."""
    data = world.usage(*ids, BACKUP_JOBS, "1", utc(2024, 2, 3)).model_dump(mode="json")
    data["quantity"] = "__Q__"
    document = {
        "specversion": "1.0",
        "id": event_id,
        "source": "/other-system",
        "type": "bss.billing.UsageRecorded.v1",
        "time": datetime.now(UTC).isoformat(),
        "subject": ids[1],
        "data": data,
    }
    text = quantity if isinstance(quantity, bytes) else msgspec.json.encode(quantity)
    return msgspec.json.encode(document).replace(b'"__Q__"', text)


async def produce(world: BillingWorld, records: list[bytes], key: str) -> None:
    for value in records:
        await world.producer.send_and_wait(topics.USAGE, value, key=key.encode())


async def rejected_as(world: BillingWorld, event_id: str) -> str | None:
    response = await world.client.get(f"/v1/usage/{event_id}", headers=headers_for(SYSTEM))
    return response.json().get("reason_code") if response.status_code == 200 else None


async def test_poison_between_valid_events_is_set_aside_and_the_valid_ones_count_also_after_a_replay(
    own_broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    async with billing_world(own_broker, databases, usage_consumers=1) as world:
        ids = await world.subscribe()
        valid = [(str(uuid.uuid4()), str(n)) for n in range(1, 11)]  # 55 jobs in all
        beyond = {str(uuid.uuid4()): q for q in ('"1e2000000"', "1e999999999", '"' + "9" * 5000 + '"')}
        records = [envelope(world, ids, event_id, q) for event_id, q in valid[:3]]
        records += list(UNREADABLE.values())
        records += [envelope(world, ids, event_id, q.encode()) for event_id, q in beyond.items()]
        records += [envelope(world, ids, event_id, q) for event_id, q in valid[3:]]
        await produce(world, records, key=ids[1])  # one partition: the poison sits in the valid events' way

        await world.wait_counted(len(valid), ids[1])
        assert await total_of(world, ids[1]) == Decimal(55)
        for event_id in beyond:
            await eventually(lambda e=event_id: _is(rejected_as(world, e), "quantity_out_of_range"), what=event_id)
        parked = await read_topic(own_broker.bootstrap_servers, dead_letter_topic(topics.USAGE), len(UNREADABLE))
        assert len(parked) == len(UNREADABLE)
        by_digest = {headers["dlq_payload_sha256"].decode(): (value, headers) for value, headers in parked}
        for name, poison in UNREADABLE.items():
            value, headers = by_digest[hashlib.sha256(poison).hexdigest()]
            assert headers["dlq_payload_size"] == str(len(poison)).encode(), name
            assert headers["dlq_topic"] == topics.USAGE.encode()
            assert headers["dlq_reason"], name
            if poison is HUGE:
                assert headers["dlq_truncated"] == b"true"
                assert len(value) == 256 * 1024
                assert value == poison[: len(value)]
            else:
                assert value == poison
                assert "dlq_truncated" not in headers

        settings = world.runtime.settings
    # Billing stops; the broker comes back empty and gets every record again (a retention replay, as after a
    # consumer group's offsets were lost), then a new event; billing starts again on the same database.
    await own_broker.astop()
    await own_broker.astart()
    later = [(str(uuid.uuid4()), "100")]
    producer = new_producer(own_broker.bootstrap_servers, idempotent=False, client_id="replay")
    await producer.start()
    try:
        for value in [*records, *(envelope(world, ids, e, q) for e, q in later)]:
            await producer.send_and_wait(topics.USAGE, value, key=ids[1].encode())
    finally:
        await producer.stop()
    app = create_app(settings)  # type: ignore[arg-type]
    async with (
        running(app) as server,
        httpx.AsyncClient(base_url=server.base_url, auth=GatewayIdentity("billing")) as client,
    ):
        again = BillingWorld(runtime=app.state.runtime, client=client, producer=world.producer)
        await again.wait_counted(len(valid) + len(later), ids[1])
        await eventually(lambda: _total_is(again, ids[1], Decimal(155)), what="the replay counted once", within_s=30)
        replayed = await read_topic(own_broker.bootstrap_servers, dead_letter_topic(topics.USAGE), len(UNREADABLE))
        assert sorted(headers["dlq_payload_sha256"] for _, headers in replayed) == sorted(
            hashlib.sha256(poison).hexdigest().encode() for poison in UNREADABLE.values()
        )


async def _is(answer: object, expected: str) -> bool:
    return await answer == expected  # type: ignore[misc]


async def _total_is(world: BillingWorld, subscription_id: str, expected: Decimal) -> bool:
    return await total_of(world, subscription_id) == expected


async def test_http_intake_refuses_quantities_beyond_the_rule_per_event_and_counts_the_rest(
    broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    async with billing_world(broker, databases) as world:
        ids = await world.subscribe()
        body = world.usage(*ids, BACKUP_JOBS, "1", utc(2024, 2, 3)).model_dump(mode="json")
        hostile = ["1e2000000", "1e999999999", "1e309", "1e-999999", "9" * 5000, "1" * 19, "0.0000000000001"]
        events = [{**body, "event_id": str(uuid.uuid4()), "quantity": q} for q in hostile]
        events += [{**body, "event_id": str(uuid.uuid4()), "quantity": "2.5"}]
        started = time.perf_counter()
        answer = await world.post_usage(events)
        assert time.perf_counter() - started < 1.0
        assert answer.status_code == 200
        results = answer.json()["results"]
        assert [r["status"] for r in results] == ["rejected"] * len(hostile) + ["accepted"]
        assert {(r["reason_code"], r["field"]) for r in results[:-1]} == {("quantity_out_of_range", "quantity")}
        assert all(len(r["detail"]) < 200 for r in results[:-1])
        await world.wait_counted(1, ids[1])
        assert await total_of(world, ids[1]) == Decimal("2.5")
        assert await rejected_as(world, events[0]["event_id"]) == "quantity_out_of_range"
