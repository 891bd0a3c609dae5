"""The floor under usage ingestion on this machine: what the parts it cannot do without cost per event, alone.

Every usage event that ingestion counts is made durable once by the HTTP intake (its envelope in an outbox
bundle, before the answer), goes through the broker once (the relay produces it to `bss.usage`, a usage
consumer reads it) and through one PostgreSQL statement that writes its ledger row (its key, fingerprint and
time: ADR 0022) and merges it into the aggregates (`usage_aggregates.record_and_count`). This measures those
parts on their own, in CPU microseconds per event:

- raw aiokafka on an embedded broker: the client's and the broker's CPU to produce `--events` records the size
  of a `UsageRecorded` envelope in record batches (as the relay sends), then to read them back in a consumer
  group (as a usage consumer does, committing per poll);
- PostgreSQL: the server backend's CPU (psutil on the backend's process, commits included) for the intake's
  outbox bundles of `--http-batch` envelopes, then for `record_and_count` on consumer-sized batches
  (`--batch`) of the ingestion benchmark's events (subscriptions x 20 SKUs x customers: each event a new
  aggregate key), in a fresh, migrated billing database.

Their sum is a floor: the HTTP request, reading and checking the events, the relay and all the Python around
each part come on top. It is printed against the CPU budget the issue's target leaves on this machine's cores:
end to end `--target-ratio` (0.25) x the raw produce rate measured here, so cores x 1,000,000 / that rate
microseconds per event; and as the highest ratio the floor alone would allow. PostgreSQL's parts need a
PostgreSQL `DATABASE_URL`; without one only the broker's part is measured. `bench ingest` measures the same
database parts after its run and prints each process's CPU per event beside them.

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres python -m bench usage_floor"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.broker import RawRates, embedded_broker, measure_raw_rates, messages_like
from bench.cpu import CpuMeter
from bench.ingest_report import TARGET_RATIO
from bench.reporting import Figure, print_result_line, print_table, rounded
from billing.adapters.usage_aggregates import Placement, record_and_count
from billing.adapters.usage_wire import USAGE_TYPE, Usage, encode_envelope, instant_text
from billing.main import MIGRATIONS_DIR
from billing.models import messaging
from bss.calendar_months import period_of
from bss.db import create_engine
from bss.events.topics import USAGE
from bss.messaging.outbox import BundledMessage, Outbox
from bss.migrations import upgrade_to_head
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases

BENCH = "usage_floor"
SKUS = 20
PERIOD_START = datetime(2024, 2, 1, tzinfo=UTC)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="events per part (default 200,000)")
    parser.add_argument("--batch", type=int, default=2_000, help="events per statement (the consumers' poll)")
    parser.add_argument("--http-batch", type=int, default=10_000, help="events per intake bundle (a POST)")
    parser.add_argument("--subscriptions", type=int, default=1_000)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument(
        "--target-ratio",
        type=float,
        default=TARGET_RATIO,
        help="the target: end to end, this share of the raw produce rate measured here (issue #23: 0.25)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds the raw consumer may take")
    options = parser.parse_args(argv)
    for name in ("events", "batch", "http_batch", "subscriptions", "customers"):
        if getattr(options, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < options.target_ratio <= 1:
        parser.error("--target-ratio must be in (0, 1]")
    return options


class FloorEvent(NamedTuple):
    """One counted event as the usage consumer hands it to `record_and_count`."""

    event_id: str
    fingerprint: int
    usage: Usage
    placement: Placement


def usage_events(options: argparse.Namespace) -> list[FloorEvent]:
    """The ingestion benchmark's shape: event i of subscription i mod S, SKU (i div S) mod 20, customer
    (i div 20S) mod C, measured in February 2024 (one reseller per subscription)."""
    subscriptions = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(options.subscriptions)]
    customers = [str(uuid.UUID(int=i + 1)) for i in range(options.customers)]
    events = []
    for i in range(options.events):
        reseller_id, subscription_id = subscriptions[i % options.subscriptions]
        measured_at = PERIOD_START + timedelta(seconds=(i * 7919) % (27 * 86400))
        usage = Usage(
            reseller_id=reseller_id,
            subscription_id=subscription_id,
            customer_id=customers[(i // (options.subscriptions * SKUS)) % options.customers],
            sku=f"SKU-{(i // options.subscriptions) % SKUS:02d}",
            quantity=Decimal(f"{(i * 7) % 1_000_003}.{i % 1000:03d}"),
            measured_at=measured_at,
            source="bench",
        )
        period = period_of(measured_at)
        placement = Placement(reseller_id, period, period, period)  # `sum`: one bucket per period
        events.append(FloorEvent(str(uuid.uuid4()), usage.fingerprint(), usage, placement))
    return events


async def postgres_part(database_url: str, options: argparse.Namespace) -> tuple[float, float, int]:
    """(server CPU seconds of `record_and_count`, of the intake's outbox bundles, events counted), one
    transaction per batch; the envelopes are encoded before, and the client's own CPU is not counted."""
    events = usage_events(options)
    outbox = Outbox(messaging, source="/bss/billing")
    envelope_of = {"source": outbox.source, "time_text": instant_text(datetime.now(UTC))}
    envelopes = [
        BundledMessage(e.event_id, e.usage.subscription_id, encode_envelope(e.event_id, e.usage, **envelope_of))
        for e in events
    ]
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            backend = CpuMeter({"backend": lambda: [pid]})
            await connection.commit()
            counted, counting_s, bundling_s = 0, 0.0, 0.0
            for first in range(0, len(envelopes), options.http_batch):
                backend.start()
                async with AsyncSession(bind=connection) as session:
                    bundle = envelopes[first : first + options.http_batch]
                    await outbox.add_bundle(
                        session, topic=USAGE, event_type=USAGE_TYPE, messages=bundle, now=datetime.now(UTC)
                    )
                    await session.commit()
                backend.stop()
                bundling_s += backend.used["backend"]
            for first in range(0, len(events), options.batch):
                batch = events[first : first + options.batch]
                backend.start()
                async with AsyncSession(bind=connection) as session:
                    already = await record_and_count(
                        session,
                        [e.event_id for e in batch],
                        [e.fingerprint for e in batch],
                        [e.usage for e in batch],
                        [e.placement for e in batch],
                        now=datetime.now(UTC),
                    )
                    await session.commit()
                backend.stop()
                counting_s += backend.used["backend"]
                counted += len(batch) - len(already)
            return counting_s, bundling_s, counted
    finally:
        await engine.dispose()


async def broker_part(options: argparse.Namespace) -> RawRates:
    sample = Usage(
        reseller_id=str(uuid.uuid4()),
        subscription_id=str(uuid.uuid4()),
        customer_id=str(uuid.uuid4()),
        sku="SKU-00",
        quantity=Decimal("123456.789"),
        measured_at=PERIOD_START,
        source="bench",
    )
    payload = encode_envelope(str(uuid.uuid4()), sample, source="/bss/billing", time_text=instant_text(PERIOD_START))
    async with embedded_broker() as broker:
        return await measure_raw_rates(
            broker.bootstrap_servers,
            messages_like(payload, USAGE_TYPE, options.events),
            partitions=12,
            send_batch=5000,
            timeout_s=options.timeout,
            record_batches=True,
            broker_pid=broker.pid,
        )


async def run(options: argparse.Namespace) -> int:
    raw = await broker_part(options)
    per_event = 1e6 / options.events
    parts: list[tuple[str, float]] = [
        ("aiokafka producer (record batches), client", raw.produce_cpu.client_s * per_event),
        ("embedded broker, taking them", raw.produce_cpu.broker_s * per_event),
        ("aiokafka consumer group, client", raw.consume_cpu.client_s * per_event),
        ("embedded broker, serving them", raw.consume_cpu.broker_s * per_event),
    ]
    server = os.environ.get(DATABASE_URL_ENV)
    written = options.events
    if server:
        databases = ThrowawayDatabases(server)
        try:
            counting_s, bundling_s, written = await postgres_part(await databases.create("usage_floor"), options)
        finally:
            await databases.drop_all()
        parts += [
            (f"PostgreSQL: intake's outbox bundle, {options.http_batch:,} per statement", bundling_s * per_event),
            (f"PostgreSQL: record_and_count, {options.batch:,} per statement", counting_s * per_event),
        ]
    else:
        print("(no PostgreSQL DATABASE_URL: PostgreSQL's part is not measured, so the floor below lacks it)")
    cores = psutil.cpu_count() or 1
    floor = sum(us for _, us in parts)
    target = options.target_ratio * raw.produce_per_s
    budget = cores * 1e6 / target
    rows: list[list[object]] = [[name, round(us, 1)] for name, us in parts]
    rows += [
        ["floor: the parts together", round(floor, 1)],
        ["raw aiokafka produce rate here, records/s", round(raw.produce_per_s)],
        [f"target: {options.target_ratio} x that, events/s", round(target)],
        [f"budget at the target on {cores} cores", round(budget, 1)],
        ["ceiling the floor allows, events/s", round(cores * 1e6 / floor)],
        ["ceiling as a ratio to the raw produce rate", round(cores * 1e6 / floor / raw.produce_per_s, 3)],
    ]
    print_table(f"CPU per usage event, each part alone ({options.events:,} events)", ["part", "us"], rows)
    result: dict[str, Figure] = {
        "bench": BENCH,
        "events": options.events,
        "raw_produce_per_s": rounded(raw.produce_per_s),
        "raw_consume_per_s": rounded(raw.consume_per_s),
    }
    result.update({name: rounded(us, 1) for name, us in parts})
    result.update(
        {
            "floor_us": rounded(floor, 1),
            "target_ratio": options.target_ratio,
            "target_events_per_s": rounded(target),
            "budget_us": rounded(budget, 1),
            "ceiling_ratio": rounded(cores * 1e6 / floor / raw.produce_per_s, 3),
            "cores": cores,
        }
    )
    print_result_line(result)
    return 0 if written == options.events else 1


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
