"""Usage ingestion end to end: HTTP batches -> billing (outbox bundle) -> broker -> usage workers -> aggregates.

One run on a private embedded broker and throwaway databases measures, in order:

1. the raw aiokafka baseline on the same broker: messages the size of a UsageRecorded envelope, produced the way
   the relay sends them, then read back in a consumer group, with the client's and the broker's CPU per record;
2. billing as deployed on this two-core machine: one process taking HTTP (relaying, and counting usage with
   `--http-consumers` consumers), and `--workers` more processes counting usage with `--consumers` each
   (`python -m billing` each; by default two processes of two consumers: on two cores a third Python process
   cost more than it overlapped, and an HTTP process that does not count leaves a core idle once the POSTs
   end), seeded with one product of `--skus` SKUs and `--subscriptions` paid
   subscriptions through catalog and subscription events; then `--events` distinct usage events (subscriptions
   x SKUs x customers) POSTed in batches of `--batch`, with 5% of them sent again in the same or later batches
   (duplicates). The clock runs from the first POST until every distinct event is counted in the aggregates
   (the usage ledger holds all ids); each process's CPU time over that span is printed per event.

Then it checks the aggregates against an exact recomputation (every (subscription, SKU, customer) total and
reading count) and exits 1 if anything was lost or counted twice. It measures the floor's database parts
(`bench usage_floor`) on a fresh database, prints each process's CPU per event beside the floor's parts it
carries (`ingest_report`), and the end-to-end rate as a ratio to the raw produce rate of step 1: the issue's
target is 0.25. The benchmark's own polling connection is left out of PostgreSQL's CPU; the server's own
processes (WAL writer, checkpointer) are metered apart, since other databases of the server share them.
SQLite files by default; PostgreSQL databases when DATABASE_URL=postgresql+asyncpg://... is set.
`python -m bench ingest --events 1000000 --subscriptions 1000 --customers 50` is the issue's figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.broker import embedded_broker, measure_raw_rates, messages_like
from bench.cpu import CpuMeter, postgres_processes
from bench.ingest_report import TARGET_RATIO, PostgresFloor, floor_parts, print_beside_floor, result_figures
from bench.reporting import per_second, print_result_line, print_table, rounded
from bench.signed_caller import SignedCaller
from bench.usage_floor import postgres_part
from bss.db import create_engine, session_factory
from bss.embedded_broker import free_port
from bss.events.contracts.billing import UsageRecordedV1
from bss.events.contracts.catalog import ProductPublishedV1
from bss.events.contracts.subscriptions import SubscriptionCreatedV1
from bss.events.envelope import EventData, make_event
from bss.identity import Caller, Role
from bss.kafka import ensure_topics, new_producer
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases

BENCH = "ingest"
POSTGRES_BACKENDS = "PostgreSQL: this database's backends"
POSTGRES_SHARED = "PostgreSQL: server processes (WAL writer, checkpointer...)"
CLIENT = "benchmark client"
ROOT = Path(__file__).resolve().parents[1]
PERIOD_START = datetime(2024, 2, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Options:
    events: int
    subscriptions: int
    skus: int
    customers: int
    batch: int
    concurrency: int
    duplicates: float
    workers: int
    consumers: int
    http_consumers: int
    timeout_s: float
    floor_events: int


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30_000, help="distinct usage events (default 30,000)")
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--skus", type=int, default=20)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--batch", type=int, default=5_000, help="events per POST (at most 10,000)")
    parser.add_argument("--concurrency", type=int, default=2, help="POSTs in flight")
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of events sent twice")
    parser.add_argument("--workers", type=int, default=1, help="billing processes counting usage (besides HTTP)")
    parser.add_argument("--consumers", type=int, default=2, help="usage consumers per worker process")
    parser.add_argument("--http-consumers", type=int, default=2, help="usage consumers in the process taking HTTP")
    parser.add_argument("--timeout", type=float, default=900.0, dest="timeout_s")
    parser.add_argument(
        "--floor-events",
        type=int,
        default=100_000,
        help="events of the floor's database parts measured after the run (PostgreSQL only; 0: not measured)",
    )
    args = parser.parse_args(argv)
    if (
        min(args.workers, args.consumers, args.http_consumers) < 0
        or args.workers * args.consumers + args.http_consumers < 1
    ):
        parser.error("counts cannot be negative, and some process must count usage (--http-consumers or --workers)")
    return Options(**vars(args))


@dataclass
class World:
    product_id: str
    skus: list[str]
    subscriptions: list[tuple[str, str]]  # (reseller, subscription)


def build_world(options: Options) -> World:
    skus = [f"SKU-BENCH-{i:02d}" for i in range(options.skus)]
    subscriptions = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(options.subscriptions)]
    return World(str(uuid.uuid4()), skus, subscriptions)


def seed_events(world: World) -> list[EventData]:
    product = ProductPublishedV1.model_validate(
        {
            "product_id": world.product_id,
            "effective_from": date(2023, 1, 1),
            "code": "ACC-CSP-BENCH",
            "name": "Bench tier",
            "tier": "Tier 3",
            "commitments": [{"currency": "USD", "amount": "1000"}],
            "usage_skus": [{"sku": s, "name": s, "unit": "unit", "aggregation": "sum"} for s in world.skus],
        }
    )
    created = [
        SubscriptionCreatedV1(
            subscription_id=subscription_id,
            reseller_id=reseller_id,
            product_id=world.product_id,
            tier="Tier 3",
            kind="paid",
            started_at=datetime(2024, 1, 1, tzinfo=UTC),
            billing_currency="USD",
        )
        for reseller_id, subscription_id in world.subscriptions
    ]
    return [product, *created]


def usage_bodies(world: World, options: Options) -> list[dict[str, Any]]:
    """`--events` distinct events cycling over subscription x SKU x customer, with exact decimal quantities."""
    rng = random.Random(42)
    customers = [str(uuid.UUID(int=i + 1)) for i in range(options.customers)]
    bodies = []
    for i in range(options.events):
        reseller_id, subscription_id = world.subscriptions[i % len(world.subscriptions)]
        sku = world.skus[(i // len(world.subscriptions)) % len(world.skus)]
        customer = customers[(i // (len(world.subscriptions) * len(world.skus))) % len(customers)]
        bodies.append(
            {
                "event_id": str(uuid.uuid4()),
                "reseller_id": reseller_id,
                "subscription_id": subscription_id,
                "customer_id": customer,
                "sku": sku,
                "quantity": f"{rng.randint(0, 10**6)}.{rng.randint(0, 999):03d}",
                "measured_at": (PERIOD_START + timedelta(seconds=rng.randint(0, 27 * 86400))).isoformat(),
                "source": "bench",
            }
        )
    return bodies


def batches_with_duplicates(bodies: list[dict[str, Any]], options: Options) -> list[list[dict[str, Any]]]:
    rng = random.Random(7)
    batches = [bodies[i : i + options.batch] for i in range(0, len(bodies), options.batch)]
    resend = rng.sample(bodies, int(len(bodies) * options.duplicates))
    for body in resend:  # sent again in the same or a later batch
        index = rng.randrange(len(batches))
        batches[index].append(body)
    return batches


def start_billing(database_url: str, bootstrap: str, port: int, usage_consumers: int) -> subprocess.Popen[bytes]:
    """A billing process. The one taking HTTP relays its own bundles from memory as they commit (ADR 0022); a
    relay polls the outbox every half second for the rest (another process's bundles it reads back)."""
    env = dict(os.environ)
    env.update(
        {
            "BILLING_DATABASE_URL": database_url,
            "BILLING_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "BILLING_PORT": str(port),
            "BILLING_MIGRATE_ON_START": "true",
            "BILLING_LOG_LEVEL": "WARNING",
            "BILLING_MONTH_CLOSE_SCHEDULER": "false",
            "BILLING_OUTBOX_BATCH_SIZE": "5000",
            "BILLING_OUTBOX_POLL_INTERVAL_S": "0.5",
            "BILLING_CONSUMER_BATCH_SIZE": "2000",
            "BILLING_USAGE_BATCH_LIMIT": "10000",
            "BILLING_USAGE_CONSUMERS": str(usage_consumers),
            "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        }
    )
    return subprocess.Popen([sys.executable, "-m", "billing"], env=env, cwd=ROOT)


async def wait_http(base_url: str, timeout_s: float) -> None:
    deadline = time.perf_counter() + timeout_s
    async with httpx.AsyncClient(base_url=base_url) as client:
        while time.perf_counter() < deadline:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("billing did not become ready")


async def publish(bootstrap: str, events: list[EventData]) -> None:
    producer = new_producer(bootstrap, idempotent=False, client_id="bench-seed")
    await producer.start()
    try:
        now = datetime.now(UTC)
        pending = []
        for data in events:
            envelope = make_event(data, source="/bench", time=now)
            pending.append(await producer.send(data.topic, envelope.to_json(), key=data.subject().encode()))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def count_rows(connection: AsyncConnection, statement: Any) -> int:
    """One count on the benchmark's own connection (its backend is left out of the database's CPU)."""
    try:
        return int((await connection.execute(statement)).scalar_one())
    finally:
        await connection.rollback()


# The identity the gateway would add for a usage collector (the embedded default secret), per request.
COLLECTOR = SignedCaller(Caller(Role.SYSTEM, "bench"), "billing")


async def until_count(connection: AsyncConnection, statement: Any, expected: int, deadline: float) -> None:
    """Poll a count until it reaches `expected` (the pipeline's end), or fail at the deadline."""
    while True:
        if await count_rows(connection, statement) >= expected:
            return
        if time.perf_counter() > deadline:
            raise TimeoutError(f"gave up waiting for {expected:,} rows")
        await asyncio.sleep(0.25)


async def post_all(base_url: str, bodies: list[bytes], concurrency: int) -> dict[str, int]:
    """POST the pre-encoded batches, `concurrency` at a time; the answers' counts summed."""
    totals = {"accepted": 0, "duplicate": 0, "rejected": 0}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    headers = {"content-type": "application/json"}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post("/v1/usage", content=body, headers=headers)
            response.raise_for_status()
            answer = msgspec.json.decode(response.content)
            for key in totals:
                totals[key] += answer[key]

    async with httpx.AsyncClient(base_url=base_url, timeout=300, auth=COLLECTOR) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return totals


async def check_totals(sessions: Any, bodies: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(events lost, events counted twice, aggregate keys whose exact total differs)."""
    from billing.models import UsageAggregateRow

    expected: dict[tuple[str, str, str], tuple[Decimal, int]] = {}
    for body in bodies:
        key = (body["subscription_id"], body["sku"], body["customer_id"])
        total, readings = expected.get(key, (Decimal(0), 0))
        expected[key] = (total + Decimal(body["quantity"]), readings + 1)
    actual: dict[tuple[str, str, str], tuple[Decimal, int]] = {}
    async with sessions() as session:
        rows = await session.execute(
            select(
                UsageAggregateRow.subscription_id,
                UsageAggregateRow.sku,
                UsageAggregateRow.customer_id,
                UsageAggregateRow.total,
                UsageAggregateRow.readings,
            )
        )
        for subscription_id, sku, customer_id, total, readings in rows:
            previous = actual.get((subscription_id, sku, customer_id), (Decimal(0), 0))
            actual[(subscription_id, sku, customer_id)] = (previous[0] + total, previous[1] + readings)
    counted = sum(readings for _, readings in actual.values())
    lost = max(0, len(bodies) - counted)
    double = max(0, counted - len(bodies))
    wrong = sum(1 for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key))
    return lost, double, wrong


async def run(options: Options) -> int:
    from billing.models import ProductVersionRow, SubscriptionRow, UsageEventRow

    databases = ThrowawayDatabases(os.environ.get(DATABASE_URL_ENV))
    world = build_world(options)
    bodies = usage_bodies(world, options)
    batches = batches_with_duplicates(bodies, options)
    encoded = [msgspec.json.encode({"events": batch}) for batch in batches]  # the client's work, not timed
    sample = make_event(UsageRecordedV1.model_validate(bodies[0]), source="/bss/billing", time=datetime.now(UTC))
    async with embedded_broker() as broker:
        bootstrap = broker.bootstrap_servers
        await ensure_topics(bootstrap)
        raw = await measure_raw_rates(
            bootstrap,
            messages_like(sample.to_json(), sample.type, min(options.events, 200_000)),
            partitions=12,
            send_batch=5000,
            timeout_s=options.timeout_s,
            record_batches=True,
            broker_pid=broker.pid,
        )
        database_url = await databases.create("billing")
        port = free_port()
        # One process takes HTTP (relays, and counts with --http-consumers); `--workers` more processes count.
        children = [start_billing(database_url, bootstrap, port, usage_consumers=options.http_consumers)]
        engine = create_engine(database_url)
        sessions = session_factory(engine)
        poll = await engine.connect()
        try:
            poll_pid = await backend_pid(poll)
            await wait_http(f"http://127.0.0.1:{port}", 120)  # migrated before the workers start
            for _ in range(options.workers):
                worker_port = free_port()
                children.append(start_billing(database_url, bootstrap, worker_port, usage_consumers=options.consumers))
                await wait_http(f"http://127.0.0.1:{worker_port}", 120)
            await publish(bootstrap, seed_events(world))
            # Both topics applied before the first POST (they are consumed independently): a subscription whose
            # product's SKUs billing does not know yet would refuse the first batches, for good, as `unknown_sku`.
            seeded = time.perf_counter() + 120
            await until_count(poll, select(func.count()).select_from(ProductVersionRow), 1, seeded)
            paid = select(func.count()).select_from(SubscriptionRow)
            await until_count(poll, paid, options.subscriptions, seeded)
            counted = select(func.count()).select_from(UsageEventRow).where(UsageEventRow.reason_code.is_(None))
            http_label = "billing HTTP + relay" + (" + counting" if options.http_consumers else "")
            http_pid, worker_pids, broker_pids = children[0].pid, [c.pid for c in children[1:]], [broker.pid]
            groups: dict[str, Callable[[], list[int]]] = {
                http_label: lambda: [http_pid],
                "billing usage workers": lambda: worker_pids,
                "embedded broker": lambda: [pid for pid in broker_pids if pid],
            }
            if databases.backend == "postgresql":
                database = make_url(database_url).database or ""
                # The benchmark's own polling connection counts whole ledgers: not the pipeline's work.
                groups[POSTGRES_BACKENDS] = lambda: [p for p in postgres_processes(database)[0] if p != poll_pid]
                groups[POSTGRES_SHARED] = lambda: postgres_processes(database)[1]
            groups[CLIENT] = lambda: [os.getpid()]
            meter = CpuMeter(groups)
            meter.start()
            started = time.perf_counter()
            answers = await post_all(f"http://127.0.0.1:{port}", encoded, options.concurrency)
            posted_s = time.perf_counter() - started
            await until_count(poll, counted, options.events, started + options.timeout_s)
            end_to_end_s = time.perf_counter() - started
            meter.stop()
            lost, double, wrong = await check_totals(sessions, bodies)
        finally:
            for child in children:
                child.terminate()
                child.wait(timeout=30)
            await poll.close()
            await engine.dispose()
            await databases.drop_all()
    postgres_floor = await measure_postgres_floor(databases, options)
    sent = sum(len(b) for b in batches)
    print_table(
        f"Usage ingestion ({databases.backend}, {options.events:,} distinct events, {sent - options.events:,} resent)",
        ["stage", "events", "seconds", "events/s"],
        [
            ["raw aiokafka produce (record batches)", raw.messages, raw.produce_s, raw.produce_per_s],
            ["raw aiokafka consume", raw.messages, raw.consume_s, raw.consume_per_s],
            ["HTTP accepted (durable)", sent, posted_s, per_second(sent, posted_s)],
            ["end to end (aggregates)", options.events, end_to_end_s, per_second(options.events, end_to_end_s)],
        ],
    )
    raw_cpu = [("produce", raw.produce_cpu), ("consume", raw.consume_cpu)]
    print_table(
        "Raw aiokafka CPU per record (psutil: this client, the broker)",
        ["stage", "client us", "broker us"],
        [
            [
                f"raw aiokafka {name}",
                round(cpu.client_s / raw.messages * 1e6, 1),
                round(cpu.broker_s / raw.messages * 1e6, 1),
            ]
            for name, cpu in raw_cpu
        ],
    )
    print_table(
        "CPU per distinct event, by process (psutil, over the end-to-end run)",
        ["process", "CPU seconds", "us per event"],
        [[name, round(used, 2), round(used / options.events * 1e6, 1)] for name, used in meter.used.items()],
    )
    parts = floor_parts(raw, postgres_floor)
    print_beside_floor(meter.used, options.events, parts)
    events_per_s = per_second(options.events, end_to_end_s)
    target = result_figures(events_per_s, raw, meter.used, options.events, parts)
    print(
        f"\nend to end {events_per_s:,.0f} events/s = {target['ratio_to_raw_produce']} x the raw produce rate "
        f"({raw.produce_per_s:,.0f}/s); target {TARGET_RATIO} x"
    )
    answered = answers["accepted"] + answers["duplicate"]
    print_table(
        "Checks",
        ["check", "value", "ok"],
        [
            ["every event answered accepted or duplicate", answered, answered == sent and answers["rejected"] == 0],
            ["answered duplicate (resent after counting)", answers["duplicate"], True],
            ["lost", lost, lost == 0],
            ["counted twice", double, double == 0],
            ["aggregate keys off", wrong, wrong == 0],
        ],
    )
    ok = lost == 0 and double == 0 and wrong == 0 and answered == sent and answers["rejected"] == 0
    print_result_line(
        {
            "bench": BENCH,
            "database": databases.backend,
            "events": options.events,
            "events_per_s": rounded(events_per_s),
            "http_accept_per_s": rounded(per_second(sent, posted_s)),
            "raw_consume_per_s": rounded(raw.consume_per_s),
            **target,
            **{
                f"raw_cpu_us_per_record {name} {side}": round(seconds / raw.messages * 1e6, 1)
                for name, cpu in raw_cpu
                for side, seconds in (("client", cpu.client_s), ("broker", cpu.broker_s))
            },
            **{f"cpu_us_per_event {name}": round(used / options.events * 1e6, 1) for name, used in meter.used.items()},
            "lost": lost,
            "double_counted": double,
            "ok": ok,
        }
    )
    return 0 if ok else 1


async def backend_pid(connection: AsyncConnection) -> int | None:
    """The PostgreSQL backend serving `connection` (None on SQLite)."""
    if connection.dialect.name != "postgresql":
        return None
    pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await connection.rollback()
    return int(pid)


async def measure_postgres_floor(databases: ThrowawayDatabases, options: Options) -> PostgresFloor | None:
    """The floor's database parts (`usage_floor.postgres_part`) on a fresh database, after the run."""
    if databases.backend != "postgresql" or options.floor_events < 1:
        return None
    shape = argparse.Namespace(
        events=options.floor_events,
        batch=2_000,
        http_batch=options.batch,
        subscriptions=options.subscriptions,
        customers=options.customers,
    )
    try:
        counting_s, bundling_s, _ = await postgres_part(await databases.create("usage_floor"), shape)
    finally:
        await databases.drop_all()
    return PostgresFloor(counting_s, bundling_s, shape.events, shape.batch, shape.http_batch)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_options(argv)))


if __name__ == "__main__":
    sys.exit(main())
