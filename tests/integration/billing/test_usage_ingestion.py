"""POST /v1/usage: per-event answers, permanent dedup, rejections with reasons, and the event's fate."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
import pytest_asyncio
from sqlalchemy import select

from billing.adapters.usage_wire import read_usage
from billing.api.usage import UsageBatchRead
from billing.models import UsageAggregateRow, UsageEventRow
from bss.embedded_broker import EmbeddedBroker
from bss.events import topics
from bss.events.envelope import CloudEvent
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import SYSTEM, headers_for, reseller
from tests.integration.billing.world import BACKUP_JOBS, STORAGE, BillingWorld, billing_world, eventually, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases, usage_batch_limit=50) as instance:
        yield instance


def item(
    world: BillingWorld, ids: tuple[str, str], sku: str = BACKUP_JOBS, quantity: Any = "1", **extra: Any
) -> dict[str, Any]:
    body = world.usage(*ids, sku, "1", extra.pop("measured_at", utc(2024, 2, 3))).model_dump(mode="json")
    body["quantity"] = quantity
    return {"event_id": str(uuid.uuid4()), **body, **extra}


async def jobs_total(world: BillingWorld, subscription_id: str) -> str:
    async with world.runtime.sessions() as session:
        rows = (
            await session.execute(select(UsageAggregateRow).where(UsageAggregateRow.subscription_id == subscription_id))
        ).scalars()
        return str(sum(row.total for row in rows))


async def test_mixed_batch_accepts_the_good_events_and_answers_each_bad_one_with_its_reason(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe()
    trial = await world.subscribe(kind="trial", started_at=utc(2024, 2, 1))
    future = datetime.now(UTC) + timedelta(days=2)
    batch = [
        item(world, ids, quantity="2.5"),
        item(world, ids, quantity="-1"),
        item(world, ids, quantity="NaN"),
        item(world, ids, quantity="Infinity"),
        item(world, ids, quantity="abc"),
        item(world, ids, sku="SKU-UNKNOWN"),
        item(world, (ids[0], str(uuid.uuid4()))),
        item(world, ids, measured_at=future.isoformat()),
        item(world, trial),
        item(world, ids, quantity=3),  # a JSON number is read exactly, never as a float
    ]
    response = await world.post_usage(batch)
    assert response.status_code == 200, response.text
    answer = UsageBatchRead.model_validate(response.json())  # the documented shape, written without the model
    assert (answer.accepted, answer.duplicate, answer.rejected) == (2, 0, 8)
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["rejected"] * 8 + ["accepted"]
    assert [r["reason_code"] for r in results[1:9]] == [
        "invalid_payload",
        "invalid_payload",
        "invalid_payload",
        "invalid_payload",
        "unknown_sku",
        "unknown_subscription",
        "measured_in_future",
        "outside_subscription",
    ]
    assert results[1]["field"] == "quantity"
    await world.wait_counted(2, ids[1])
    assert await jobs_total(world, ids[1]) == "5.5"
    fate = await world.client.get(f"/v1/usage/{batch[5]['event_id']}", headers=headers_for(SYSTEM))
    assert fate.json()["status"] == "rejected"
    assert fate.json()["reason_code"] == "unknown_sku"
    resent = (await world.post_usage([batch[5]])).json()["results"][0]
    assert (resent["status"], resent["reason_code"]) == ("duplicate", "unknown_sku")  # the first fate stands


async def test_a_resent_event_is_a_duplicate_counted_once_and_a_changed_payload_is_a_reported_conflict(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe()
    first = item(world, ids, quantity="4")
    assert (await world.post_usage([first, dict(first)])).json()["duplicate"] == 1
    await world.wait_counted(1, ids[1])
    again = await world.post_usage([first])
    assert again.json()["results"][0] == {
        "event_id": first["event_id"],
        "status": "duplicate",
        "reason_code": None,
        "detail": None,
        "field": None,
    }
    changed = await world.post_usage([{**first, "quantity": "4.00"}, {**first, "quantity": "400"}])
    assert [r["reason_code"] for r in changed.json()["results"]] == [None, "conflicting_duplicate"]  # 4.00 == 4
    fate = await world.client.get(f"/v1/usage/{first['event_id']}", headers=headers_for(SYSTEM))
    assert fate.json()["counted"] is True
    assert await jobs_total(world, ids[1]) == "4"


async def test_a_resend_racing_its_first_copy_is_accepted_again_and_counted_once(world: BillingWorld) -> None:
    ids = await world.subscribe()
    first = item(world, ids, quantity="6")
    answers = [(await world.post_usage([first])).json()["results"][0]["status"] for _ in range(3)]
    assert set(answers) <= {"accepted", "duplicate"}  # "duplicate" once the first copy was counted
    await world.wait_counted(1, ids[1])
    await asyncio.sleep(0.5)  # give any later copy the time to be (wrongly) counted too
    assert await jobs_total(world, ids[1]) == "6"


async def test_a_changed_payload_racing_the_first_is_counted_once_and_reported_as_a_conflict(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe()
    first = item(world, ids, quantity="5")
    assert (await world.post_usage([first])).json()["accepted"] == 1
    changed = (await world.post_usage([{**first, "quantity": "500"}])).json()["results"][0]
    if changed["status"] == "accepted":  # the first was still on its way: the consumer reports the conflict
        await eventually(lambda: _conflicts(world, first["event_id"]), what="the conflict reported")
    else:
        assert changed["reason_code"] == "conflicting_duplicate"
    await world.wait_counted(1, ids[1])
    assert await jobs_total(world, ids[1]) == "5"


async def _conflicts(world: BillingWorld, event_id: str) -> bool:
    async with world.runtime.sessions() as session:
        row = await session.get(UsageEventRow, event_id)
        return row is not None and row.conflicts == 1


async def test_an_accepted_event_on_its_way_has_a_fate_before_it_is_counted(world: BillingWorld) -> None:
    from billing.adapters.usage_store import usage_store_for
    from billing.usecases.usage_fate import find_fate
    from billing.usecases.usage_intake import record_batch
    from bss.usecase import UseCase

    ids = await world.subscribe()
    sent = item(world, ids, quantity="2")
    store = usage_store_for(world.runtime.settings.database_url)
    ctx = UseCase.system(world.runtime, "test", datetime.now(UTC))
    async with world.runtime.sessions() as session, session.begin():  # an accepted batch, not yet relayed
        outcomes = await record_batch(session, ctx, store, [(sent["event_id"], sent)])
        assert outcomes[0].status == "accepted"
        fate = await find_fate(session, world.runtime.outbox, sent["event_id"])
    assert fate is not None
    assert (fate.status, fate.counted, fate.quantity) == ("accepted", False, Decimal(2))
    await world.wait_counted(1, ids[1])
    response = await world.client.get(f"/v1/usage/{sent['event_id']}", headers=headers_for(SYSTEM))
    assert (response.json()["status"], response.json()["counted"]) == ("accepted", True)
    unknown = await world.client.get(f"/v1/usage/{uuid.uuid4()}", headers=headers_for(SYSTEM))
    assert unknown.status_code == 404


async def test_direct_kafka_usage_duplicates_are_counted_once(world: BillingWorld) -> None:
    ids = await world.subscribe()
    event_id = str(uuid.uuid4())
    for _ in range(3):
        await world.publish(world.usage(*ids, STORAGE, "7", utc(2024, 2, 5)), event_id=event_id)
    await eventually(lambda: _counted(world, event_id), what="the event counted")
    async with world.runtime.sessions() as session:
        rows = list(
            (
                await session.execute(select(UsageAggregateRow).where(UsageAggregateRow.subscription_id == ids[1]))
            ).scalars()
        )
    assert [(row.readings, row.total) for row in rows] == [(1, Decimal(7))]


async def test_http_usage_ahead_of_its_subscription_is_refused_for_now_and_counted_when_sent_again(
    world: BillingWorld,
) -> None:
    ids = (str(uuid.uuid4()), str(uuid.uuid4()))
    early = item(world, ids, quantity="3")
    first = (await world.post_usage([early])).json()["results"][0]
    assert (first["status"], first["reason_code"]) == ("rejected", "unknown_subscription")
    await world.subscribe(ids=ids)
    again = (await world.post_usage([early])).json()["results"][0]
    assert again["status"] == "accepted"  # judged afresh: an unknown subscription is not a final verdict
    await world.wait_counted(1, ids[1])
    assert await jobs_total(world, ids[1]) == "3"
    assert (await world.post_usage([early])).json()["results"][0]["status"] == "duplicate"  # now it is final


async def test_kafka_usage_racing_ahead_of_its_subscription_counts_when_sent_again(world: BillingWorld) -> None:
    ids = (str(uuid.uuid4()), str(uuid.uuid4()))
    event_id = str(uuid.uuid4())
    usage = world.usage(*ids, STORAGE, "7", utc(2024, 2, 5))
    await world.publish(usage, event_id=event_id)
    await eventually(lambda: _rejected(world, event_id), what="the early event refused")
    await world.subscribe(ids=ids)
    await world.publish(usage, event_id=event_id)  # the producer retries after the UsageRejected
    await eventually(lambda: _counted(world, event_id), what="the retried event counted")
    assert await jobs_total(world, ids[1]) == "7"


async def _rejected(world: BillingWorld, event_id: str) -> bool:
    async with world.runtime.sessions() as session:
        row = await session.get(UsageEventRow, event_id)
        return row is not None and row.reason_code == "unknown_subscription"


async def _counted(world: BillingWorld, event_id: str) -> bool:
    async with world.runtime.sessions() as session:
        row = await session.get(UsageEventRow, event_id)  # a canonical UUID is its own ledger key
        return row is not None and row.reason_code is None


async def test_http_accepted_events_reach_the_usage_topic_for_other_consumers(world: BillingWorld) -> None:
    ids = await world.subscribe()
    sent = item(world, ids)
    assert (await world.post_usage([sent])).json()["accepted"] == 1
    from bss.kafka import new_consumer

    consumer = new_consumer(world.runtime.settings.kafka_bootstrap_servers, topics.USAGE, group_id=None, client_id="t")
    await consumer.start()
    try:
        found = False
        for _ in range(100):
            batch = await consumer.getmany(timeout_ms=200)
            found = any(
                CloudEvent.from_json(r.value or b"").id == sent["event_id"] for rs in batch.values() for r in rs
            )
            if found:
                break
        assert found
    finally:
        await consumer.stop()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": []}, "events"),
        ({"nope": 1}, "events"),
        ({"events": [{"quantity": "1"}]}, "events.0.event_id"),
    ],
)
async def test_malformed_batches_are_problems_naming_the_field_and_write_nothing(
    world: BillingWorld, body: dict[str, Any], field: str
) -> None:
    before = await world.usage_written()
    response = await world.client.post("/v1/usage", json=body, headers=headers_for(SYSTEM))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field
    assert await world.usage_written() == before


async def test_a_batch_over_the_limit_is_refused_whole(world: BillingWorld) -> None:
    ids = await world.subscribe()
    before = await world.usage_written()
    response = await world.post_usage([item(world, ids) for _ in range(51)])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "events"
    assert await world.usage_written() == before


async def test_resellers_cannot_post_usage(world: BillingWorld) -> None:
    response = await world.client.post(
        "/v1/usage", json={"events": []}, headers=headers_for(reseller(str(uuid.uuid4())))
    )
    assert response.status_code == 403


async def test_a_counted_event_keeps_only_its_key_fingerprint_and_time_in_the_ledger(world: BillingWorld) -> None:
    ids = await world.subscribe()
    sent = item(world, ids, quantity="2.50")
    assert (await world.post_usage([sent])).json()["accepted"] == 1
    await world.wait_counted(1, ids[1])
    async with world.runtime.sessions() as session:
        row = await session.get(UsageEventRow, sent["event_id"])  # a canonical UUID is its own key
    assert row is not None
    assert row.fingerprint == read_usage({k: v for k, v in sent.items() if k != "event_id"}).fingerprint()
    assert (row.reason_code, row.event_id, row.conflicts) == (None, None, None)
    assert (row.subscription_id, row.sku, row.customer_id, row.quantity, row.measured_at) == (None,) * 5
    fate = (await world.client.get(f"/v1/usage/{sent['event_id']}", headers=headers_for(SYSTEM))).json()
    assert (fate["status"], fate["counted"], fate["reason_code"]) == ("accepted", True, None)
    assert (fate["subscription_id"], fate["sku"], fate["quantity"]) == (None, None, None)  # not kept when counted
    assert fate["received_at"] is not None


async def test_an_id_that_is_not_a_uuid_is_counted_once_for_good_and_tells_its_fate(world: BillingWorld) -> None:
    ids = await world.subscribe()
    event_id = f"collector-7.report-{uuid.uuid4().hex[:8]}.LINE-0042"
    upper = str(uuid.uuid4()).upper()  # another id than its lower-case form, as any text id is
    sent = item(world, ids, quantity="3", event_id=event_id)
    assert (await world.post_usage([sent, item(world, ids, quantity="4", event_id=upper)])).json()["accepted"] == 2
    await world.wait_counted(2, ids[1])
    again = (await world.post_usage([sent, {**sent, "quantity": "30"}])).json()["results"]
    assert [(r["status"], r["reason_code"]) for r in again] == [
        ("duplicate", None),
        ("duplicate", "conflicting_duplicate"),
    ]
    await world.publish(world.usage(*ids, BACKUP_JOBS, "3", utc(2024, 2, 3)), event_id=event_id)  # via Kafka too
    for shown in (event_id, upper):
        fate = (await world.client.get(f"/v1/usage/{shown}", headers=headers_for(SYSTEM))).json()
        assert (fate["event_id"], fate["status"], fate["counted"]) == (shown, "accepted", True)
    assert (await world.client.get(f"/v1/usage/{upper.lower()}", headers=headers_for(SYSTEM))).status_code == 404
    await asyncio.sleep(0.5)  # the Kafka copy has had the time to be (wrongly) counted again
    assert await jobs_total(world, ids[1]) == "7"


async def test_a_dead_lettered_record_tells_its_fate_and_a_readable_copy_under_its_id_counts(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe()
    event_id = str(uuid.uuid4())
    unreadable = msgspec.json.encode({"specversion": "1.0", "id": event_id, "type": "bss.billing.UsageRecorded.v1"})
    await world.producer.send_and_wait(topics.USAGE, unreadable, key=ids[1].encode())  # no source: no envelope
    await eventually(lambda: _fate_is(world, event_id, "dead_lettered"), what="the dead letter's fate")
    fate = (await world.client.get(f"/v1/usage/{event_id}", headers=headers_for(SYSTEM))).json()
    assert fate["counted"] is False
    assert "missing required field `source`" in fate["detail"]  # the reason it was set aside
    await world.publish(world.usage(*ids, BACKUP_JOBS, "9", utc(2024, 2, 3)), event_id=event_id)
    await eventually(lambda: _fate_is(world, event_id, "accepted"), what="the readable copy counted")
    assert await jobs_total(world, ids[1]) == "9"


async def _fate_is(world: BillingWorld, event_id: str, status: str) -> bool:
    response = await world.client.get(f"/v1/usage/{event_id}", headers=headers_for(SYSTEM))
    return response.status_code == 200 and response.json()["status"] == status
