"""Month close: `--subscriptions` paid subscriptions with `--skus` SKUs of usage each, invoiced and issued.

The read models and usage aggregates are written straight into a throwaway billing database (bulk inserts, not
timed: this benchmark measures the close, `bench ingest` measures getting usage in). Half the subscriptions use
less than the 1,000 USD commitment (a fee line), half more. The close runs in this process exactly as the
admin endpoint runs it (one transaction per subscription, gapless numbers, outbox events); then the run checks
one invoice per subscription, every total against an exact recomputation, gapless numbers, and that a second
close changes nothing. Peak RSS is this process's. SQLite by default; PostgreSQL with DATABASE_URL set.
`python -m bench month_close --subscriptions 10000` is the issue's figure (under 60 s, under 500 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

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
    subscription_rows: list[dict[str, Any]] = []
    aggregate_rows: list[dict[str, Any]] = []
    for index in range(subscriptions):
        subscription_id = str(uuid.uuid4())
        subscription_rows.append(
            {
                "subscription_id": subscription_id,
                "reseller_id": str(uuid.uuid4()),
                "product_id": product_id,
                "status": "active",
                "billing_currency": "USD",
                "started_at": datetime(2024, 1, 1, tzinfo=UTC),
                "paid_from": datetime(2024, 1, 1, tzinfo=UTC),
                "closed_through": date(2024, 1, 1),  # the steady state: last month is invoiced already
                "ramp_up_cycles": 0,
            }
        )
        usage_total = Decimal(0)
        for number, sku in enumerate(sku_names):
            amount = quantity(index, number)
            usage_total += round_money(amount * UNIT_PRICE, "USD")
            aggregate_rows.append(
                {
                    "subscription_id": subscription_id,
                    "billed_in": PERIOD,
                    "period": PERIOD,
                    "sku": sku,
                    "customer_id": str(uuid.UUID(int=index + 1)),
                    "day": PERIOD,
                    "reseller_id": subscription_rows[-1]["reseller_id"],
                    "total": amount,
                    "peak": amount,
                    "last_value": amount,
                    "last_at": datetime(2024, 2, 10, tzinfo=UTC),
                    "readings": 1,
                }
            )
        expected[subscription_id] = max(usage_total, COMMITMENT)
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            insert(ProductVersionRow),
            [
                {
                    "product_id": product_id,
                    "effective_from": date(2023, 1, 1),
                    "name": "Bench tier",
                    "tier": "Tier 3",
                    "commitments": {"USD": str(COMMITMENT)},
                    "usage_skus": [{"sku": s, "name": s, "unit": "unit", "aggregation": "sum"} for s in sku_names],
                }
            ],
        )
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
        await session.execute(insert(SubscriptionRow), subscription_rows)
        for start in range(0, len(aggregate_rows), 5_000):
            await session.execute(insert(UsageAggregateRow), aggregate_rows[start : start + 5_000])
    return expected


async def run(options: argparse.Namespace) -> int:
    databases = ThrowawayDatabases(os.environ.get(DATABASE_URL_ENV))
    url = await databases.create("month_close")
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
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
        started = time.perf_counter()
        summary = await close_month(UseCase.system(runtime, "month_close"), store, PERIOD)
        close_s = time.perf_counter() - started
        rerun = await close_month(UseCase.system(runtime, "month_close"), store, PERIOD)
        async with runtime.sessions() as session:
            columns = select(InvoiceRow.subscription_id, InvoiceRow.total, InvoiceRow.number)
            invoices = (await session.execute(columns)).all()
            events = (await session.execute(select(func.count()).select_from(messaging.outbox))).scalar_one()
    finally:
        await engine.dispose()
        await databases.drop_all()
    wrong = sum(1 for subscription_id, total, _ in invoices if expected.get(subscription_id) != total)
    numbers = sorted(int(number.rsplit("-", 1)[1]) for _, _, number in invoices if number)
    gapless = numbers == list(range(1, len(numbers) + 1))
    memory = peak_rss_mb()
    ok = (
        len(invoices) == options.subscriptions
        and wrong == 0
        and gapless
        and rerun.invoiced == 0
        and not summary.failed
        and events == len(invoices)
    )
    print_table(
        f"Month close ({databases.backend}, {options.subscriptions:,} subscriptions x {options.skus} SKUs)",
        ["figure", "value"],
        [
            ["close seconds", close_s],
            ["invoices per second", per_second(summary.invoiced, close_s)],
            ["peak RSS MB", memory],
        ],
    )
    print_table(
        "Checks",
        ["check", "value", "ok"],
        [
            ["invoices", len(invoices), len(invoices) == options.subscriptions],
            ["totals off", wrong, wrong == 0],
            ["numbers gapless", gapless, gapless],
            ["second close invoiced", rerun.invoiced, rerun.invoiced == 0],
            ["InvoiceIssued events", events, events == len(invoices)],
        ],
    )
    print_result_line(
        {
            "bench": BENCH,
            "database": databases.backend,
            "subscriptions": options.subscriptions,
            "skus": options.skus,
            "close_s": rounded(close_s, 2),
            "invoices_per_s": rounded(per_second(summary.invoiced, close_s)),
            "peak_rss_mb": rounded(memory, 1),
            "ok": ok,
        }
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
