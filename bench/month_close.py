"""Month close: `--subscriptions` paid subscriptions with `--skus` SKUs of usage each, invoiced and issued.

The read models and usage aggregates are written straight into a throwaway billing database (bulk inserts, not
timed: this benchmark measures the close, `bench ingest` measures getting usage in). Half the subscriptions use
less than the 1,000 USD commitment (a fee line), half more. The close runs in this process exactly as the
admin endpoint runs it in a service process (the collector tuned as `bss.serve` tunes it; chunks of
subscriptions, each in one transaction, with gapless numbers and outbox events); then the run checks one invoice
per subscription, every total against an exact recomputation, gapless numbers, and that a second close changes
nothing. Peak RSS is this process's, read right after the close. SQLite by default; PostgreSQL with DATABASE_URL
set, where the run also times a floor: the rows the close wrote (invoices and outbox rows) written alone with
COPY into copies of their tables (`bench/copy_reference.py`), and prints the close's time against it.
`python -m bench month_close --subscriptions 10000` is the issue's figure (at least 1,000 invoices/s, peak RSS
under 300 MB, on PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psutil
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.copy_reference import CopiedTable, CopyReference, copy_reference
from bench.cpu import cpu_seconds
from bench.reporting import peak_rss_mb, per_second, print_result_line, print_table, rounded
from billing.adapters.usage_store import usage_store_for
from billing.main import MIGRATIONS_DIR
from billing.models import InvoiceRow, PriceRow, ProductVersionRow, SubscriptionRow, UsageAggregateRow, messaging
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings
from billing.usecases.month_close import close_month
from bss.clock import FixedClock
from bss.db import create_engine, session_factory
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.migrations import upgrade_to_head
from bss.money import round_money
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases
from bss.usecase import UseCase

BENCH = "month_close"
PERIOD = date(2024, 2, 1)
COMMITMENT = Decimal(1000)
UNIT_PRICE = Decimal("0.05")
TARGET_INVOICES_PER_S = 1_000
SEED_ROWS = 5_000  # aggregate rows per insert: the seed never holds them all (its peak RSS would be the run's)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench month_close", description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1_000, help="default 1,000 (the issue: 10,000)")
    parser.add_argument("--skus", type=int, default=20)
    return parser.parse_args(argv)


def quantity(index: int, sku: int) -> Decimal:
    """Even subscriptions stay below the commitment (fee line), odd ones go above it."""
    return Decimal(500 + sku) if index % 2 == 0 else Decimal(1500 + sku)


async def seed(runtime: BillingRuntime, subscriptions: int, skus: int) -> dict[str, Decimal]:
    product_id = str(uuid.uuid4())
    sku_names = [f"SKU-BENCH-{i:02d}" for i in range(skus)]
    expected: dict[str, Decimal] = {}
    async with runtime.sessions() as session, session.begin():
        await session.execute(insert(ProductVersionRow), [_product_version(product_id, sku_names)])
        price_book = str(uuid.uuid4())
        prices = [
            {
                "price_book_id": price_book,
                "product_id": product_id,
                "sku": s,
                "currency": "USD",
                "effective_from": date(2023, 1, 1),
                "unit_price": UNIT_PRICE,
            }
            for s in sku_names
        ]
        await session.execute(insert(PriceRow), prices)
        per_insert = max(1, SEED_ROWS // max(1, skus))
        for start in range(0, subscriptions, per_insert):
            subscription_rows, aggregate_rows = [], []
            for index in range(start, min(start + per_insert, subscriptions)):
                subscription = _subscription(product_id)
                subscription_rows.append(subscription)
                aggregate_rows.extend(_aggregates(subscription, index, sku_names))
                usage_total = sum(
                    (round_money(quantity(index, n) * UNIT_PRICE, "USD") for n in range(skus)), Decimal(0)
                )
                expected[subscription["subscription_id"]] = max(usage_total, COMMITMENT)
            await session.execute(insert(SubscriptionRow), subscription_rows)
            await session.execute(insert(UsageAggregateRow), aggregate_rows)
    return expected


def _product_version(product_id: str, sku_names: list[str]) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "effective_from": date(2023, 1, 1),
        "name": "Bench tier",
        "tier": "Tier 3",
        "commitments": {"USD": str(COMMITMENT)},
        "usage_skus": [{"sku": s, "name": s, "unit": "unit", "aggregation": "sum"} for s in sku_names],
    }


def _subscription(product_id: str) -> dict[str, Any]:
    return {
        "subscription_id": str(uuid.uuid4()),
        "reseller_id": str(uuid.uuid4()),
        "product_id": product_id,
        "status": "active",
        "billing_currency": "USD",
        "started_at": datetime(2024, 1, 1, tzinfo=UTC),
        "paid_from": datetime(2024, 1, 1, tzinfo=UTC),
        "closed_through": date(2024, 1, 1),  # the steady state: last month is invoiced already
        "ramp_up_cycles": 0,
    }


def _aggregates(subscription: dict[str, Any], index: int, sku_names: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "subscription_id": subscription["subscription_id"],
            "billed_in": PERIOD,
            "period": PERIOD,
            "sku": sku,
            "customer_id": str(uuid.UUID(int=index + 1)),
            "day": PERIOD,
            "reseller_id": subscription["reseller_id"],
            "total": quantity(index, number),
            "peak": quantity(index, number),
            "last_value": quantity(index, number),
            "last_at": datetime(2024, 2, 10, tzinfo=UTC),
            "readings": 1,
        }
        for number, sku in enumerate(sku_names)
    ]


@dataclass(frozen=True)
class Measured:
    close_s: float
    close_cpu_s: float  # this process
    postgres_cpu_s: float | None  # the database's backends (PostgreSQL)
    peak_rss_mb: float  # right after the close
    invoiced: int
    failed: int
    rerun_invoiced: int
    invoices: int
    totals_off: int
    gapless: bool
    events: int
    reference: CopyReference | None  # PostgreSQL only


async def run(options: argparse.Namespace) -> int:
    databases = ThrowawayDatabases(os.environ.get(DATABASE_URL_ENV))
    url = await databases.create("month_close")
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        measured = await measure(url, engine, options)
    finally:
        await engine.dispose()
        await databases.drop_all()
    return report(databases.backend, options, measured)


async def measure(url: str, engine: AsyncEngine, options: argparse.Namespace) -> Measured:
    settings = BillingSettings(database_url=url, log_json=False, log_level="WARNING")
    runtime = BillingRuntime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        clock=FixedClock(datetime(2024, 3, 1, 3, tzinfo=UTC)),
        outbox=Outbox(messaging, source="/bss/billing"),
        inbox=Inbox(messaging),
    )
    expected = await seed(runtime, options.subscriptions, options.skus)
    store = usage_store_for(url)  # as `create_app` chooses it
    settings.tune_garbage_collector()  # as a service process does once it is built (bss/serve.py)
    postgres = engine.dialect.name == "postgresql"
    backends = await _backend_cpu(runtime) if postgres else {}
    cpu_started, started = time.process_time(), time.perf_counter()
    summary = await close_month(UseCase.system(runtime, "month_close"), store, PERIOD)
    close_s, close_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    postgres_cpu_s = _used(backends, await _backend_cpu(runtime)) if postgres else None
    memory = peak_rss_mb()
    rerun = await close_month(UseCase.system(runtime, "month_close"), store, PERIOD)
    async with runtime.sessions() as session:
        columns = select(InvoiceRow.subscription_id, InvoiceRow.total, InvoiceRow.number)
        invoices = (await session.execute(columns)).all()
        events = (await session.execute(select(func.count()).select_from(messaging.outbox))).scalar_one()
    numbers = sorted(int(number.rsplit("-", 1)[1]) for _, _, number in invoices if number)
    return Measured(
        close_s=close_s,
        close_cpu_s=close_cpu_s,
        postgres_cpu_s=postgres_cpu_s,
        peak_rss_mb=memory,
        invoiced=summary.invoiced,
        failed=len(summary.failed),
        rerun_invoiced=rerun.invoiced,
        invoices=len(invoices),
        totals_off=sum(1 for subscription_id, total, _ in invoices if expected.get(subscription_id) != total),
        gapless=numbers == list(range(1, len(numbers) + 1)),
        events=events,
        reference=await copy_reference(url, COPIED, batch=settings.month_close_chunk) if postgres else None,
    )


COPIED = (  # what the close writes: every column of its invoices, the outbox columns it fills
    CopiedTable("invoices", tuple(c.name for c in InvoiceRow.__table__.columns), "invoice_id"),
    CopiedTable("outbox", ("event_id", "event_type", "topic", "key", "payload", "created_at"), "seq"),
)


async def _backend_cpu(runtime: BillingRuntime) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving this database (the server is local)."""
    query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    async with runtime.sessions() as session:
        pids = list((await session.execute(query)).scalars())
    used = {}
    for pid in pids:
        try:
            used[pid] = cpu_seconds(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    return used


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    """A backend that started in between (the pool's second connection) counts in full."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def report(backend: str, options: argparse.Namespace, measured: Measured) -> int:
    m = measured
    ok = (
        m.invoices == options.subscriptions
        and m.totals_off == 0
        and m.gapless
        and m.rerun_invoiced == 0
        and m.failed == 0
        and m.events == m.invoices
    )
    rate = per_second(m.invoiced, m.close_s)
    reference_s = m.reference.seconds if m.reference else math.nan
    print_table(
        f"Month close ({backend}, {options.subscriptions:,} subscriptions x {options.skus} SKUs)",
        ["figure", "value"],
        [
            ["close seconds", m.close_s],
            ["invoices per second", rate],
            ["target invoices per second", TARGET_INVOICES_PER_S],
            ["close CPU seconds (this process)", m.close_cpu_s],
            ["close CPU seconds (PostgreSQL backends)", m.postgres_cpu_s if m.postgres_cpu_s is not None else math.nan],
            ["peak RSS MB", m.peak_rss_mb],
            ["COPY of the same rows, seconds", reference_s],
            ["COPY invoices per second", per_second(m.invoices, reference_s)],
            ["close / COPY", m.close_s / reference_s],
        ],
    )
    print_table(
        "Checks",
        ["check", "value", "ok"],
        [
            ["invoices", m.invoices, m.invoices == options.subscriptions],
            ["totals off", m.totals_off, m.totals_off == 0],
            ["numbers gapless", m.gapless, m.gapless],
            ["subscriptions failed", m.failed, m.failed == 0],
            ["second close invoiced", m.rerun_invoiced, m.rerun_invoiced == 0],
            ["InvoiceIssued events", m.events, m.events == m.invoices],
        ],
    )
    print_result_line(
        {
            "bench": BENCH,
            "database": backend,
            "subscriptions": options.subscriptions,
            "skus": options.skus,
            "close_s": rounded(m.close_s, 2),
            "invoices_per_s": rounded(rate),
            "target_invoices_per_s": TARGET_INVOICES_PER_S,
            "meets_target": rate >= TARGET_INVOICES_PER_S if backend == "postgresql" else None,  # the database
            "close_cpu_s": rounded(m.close_cpu_s, 2),
            "postgres_cpu_s": rounded(m.postgres_cpu_s, 2) if m.postgres_cpu_s is not None else None,
            "peak_rss_mb": rounded(m.peak_rss_mb, 1),
            "copy_reference_s": rounded(reference_s, 2),
            "copy_invoices_per_s": rounded(per_second(m.invoices, reference_s)),
            "close_to_copy": rounded(m.close_s / reference_s, 1),
            "ok": ok,
        }
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
