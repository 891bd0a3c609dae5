"""The month close invoices a chunk of subscriptions per transaction (ADR 0018): a chunk that fails is rolled back
whole and closed again one subscription per transaction, so the one that fails is reported, the others are
invoiced, nothing is half-written and the numbers stay gapless. Rows are written straight into the tables."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from billing.adapters.usage_store import usage_store_for
from billing.main import MIGRATIONS_DIR
from billing.models import (
    InvoiceRow,
    NumberSequenceRow,
    PriceRow,
    ProductVersionRow,
    SubscriptionRow,
    UsageAggregateRow,
    messaging,
)
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings
from billing.usecases.invoice_lifecycle import issue
from billing.usecases.month_close import CloseSummary, close_month
from bss.clock import FixedClock
from bss.db import create_engine, session_factory
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.migrations import upgrade_to_head
from bss.usecase import UseCase
from tests.harness.databases import DatabaseFactory

pytestmark = pytest.mark.asyncio(loop_scope="session")

JAN, FEB = date(2024, 1, 1), date(2024, 2, 1)
SKUS = ("SKU-A", "SKU-B")
UNIT_PRICE = Decimal("0.05")
COMMITMENT = Decimal(100)


@asynccontextmanager
async def billing(databases: DatabaseFactory, **settings: Any) -> AsyncIterator[BillingRuntime]:
    url = await databases.create("month_close_batches")
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        yield BillingRuntime(
            settings=BillingSettings(database_url=url, log_json=False, log_level="WARNING", **settings),
            engine=engine,
            sessions=session_factory(engine),
            clock=FixedClock(datetime(2024, 3, 1, 3, tzinfo=UTC)),
            outbox=Outbox(messaging, source="/bss/billing"),
            inbox=Inbox(messaging),
        )
    finally:
        await engine.dispose()


async def add_product(runtime: BillingRuntime, *, tier: str = "Tier 1") -> str:
    product_id = str(uuid.uuid4())
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            insert(ProductVersionRow),
            [
                {
                    "product_id": product_id,
                    "effective_from": date(2023, 1, 1),
                    "name": "Batch tier",
                    "tier": tier,
                    "commitments": {"USD": str(COMMITMENT)},
                    "usage_skus": [{"sku": s, "name": s, "unit": "unit", "aggregation": "sum"} for s in SKUS],
                }
            ],
        )
        prices = [
            {
                "price_book_id": str(uuid.uuid4()),
                "product_id": product_id,
                "sku": sku,
                "currency": "USD",
                "effective_from": date(2023, 1, 1),
                "unit_price": UNIT_PRICE,
            }
            for sku in SKUS
        ]
        await session.execute(insert(PriceRow), prices)
    return product_id


async def add_subscriptions(
    runtime: BillingRuntime, product_id: str, count: int, *, currency: str = "USD", quantity: str = "3000"
) -> list[str]:
    """Paid subscriptions invoiced through January, each with February usage of every SKU."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    subscriptions, usage = [], []
    for subscription_id in ids:
        reseller_id = str(uuid.uuid4())
        subscriptions.append(
            {
                "subscription_id": subscription_id,
                "reseller_id": reseller_id,
                "product_id": product_id,
                "status": "active",
                "billing_currency": currency,
                "started_at": datetime(2024, 1, 1, tzinfo=UTC),
                "paid_from": datetime(2024, 1, 1, tzinfo=UTC),
                "closed_through": JAN,
                "ramp_up_cycles": 0,
            }
        )
        usage.extend(
            {
                "subscription_id": subscription_id,
                "billed_in": FEB,
                "period": FEB,
                "sku": sku,
                "customer_id": str(uuid.uuid4()),
                "day": FEB,
                "reseller_id": reseller_id,
                "total": Decimal(quantity),
                "peak": Decimal(quantity),
                "last_value": Decimal(quantity),
                "last_at": datetime(2024, 2, 10, tzinfo=UTC),
                "readings": 1,
            }
            for sku in SKUS
        )
    async with runtime.sessions() as session, session.begin():
        await session.execute(insert(SubscriptionRow), subscriptions)
        await session.execute(insert(UsageAggregateRow), usage)
    return ids


async def close_february(runtime: BillingRuntime, *, issue_invoices: bool = True) -> CloseSummary:
    store = usage_store_for(runtime.settings.database_url)
    return await close_month(UseCase.system(runtime, "month_close"), store, FEB, issue=issue_invoices)


async def written(runtime: BillingRuntime) -> tuple[dict[str, str | None], int, list[date | None], int]:
    """The invoices of February (subscription -> number), the outbox rows, every subscription's
    `closed_through`, and the INV-2024 counter."""
    async with runtime.sessions() as session:
        invoices = dict((await session.execute(select(InvoiceRow.subscription_id, InvoiceRow.number))).all())
        events = (await session.execute(select(func.count()).select_from(messaging.outbox))).scalar_one()
        closed = list((await session.execute(select(SubscriptionRow.closed_through))).scalars())
        counter = (
            await session.execute(
                select(NumberSequenceRow.last_value).where(
                    NumberSequenceRow.name == "INV", NumberSequenceRow.year == 2024
                )
            )
        ).scalar_one_or_none()
    return invoices, events, closed, counter or 0


def gapless(numbers: list[str | None]) -> bool:
    return sorted(int(str(n).rsplit("-", 1)[1]) for n in numbers) == list(range(1, len(numbers) + 1))


async def test_a_failing_subscription_is_reported_and_the_rest_of_its_chunk_invoiced_with_gapless_numbers(
    databases: DatabaseFactory,
) -> None:
    async with billing(databases, month_close_chunk=50) as runtime:
        product_id = await add_product(runtime)
        good = await add_subscriptions(runtime, product_id, 6)
        corrupt_usage = (await add_subscriptions(runtime, product_id, 1, quantity="-5"))[0]  # the invoice math refuses
        no_rate = (await add_subscriptions(runtime, product_id, 1, currency="XXQ"))[0]  # CannotInvoice: no FX rate
        nameless = await add_product(runtime, tier="")  # the InvoiceIssued contract refuses an empty tier name
        refused_by_contract = (await add_subscriptions(runtime, nameless, 1))[0]

        summary = await close_february(runtime)

        reasons = {f["subscription_id"]: f["reason"] for f in summary.failed}
        assert (summary.invoiced, summary.skipped) == (6, 0)
        assert sorted(reasons) == sorted([corrupt_usage, no_rate, refused_by_contract])
        assert reasons[corrupt_usage].startswith("ValueError"), reasons
        assert "XXQ" in reasons[no_rate], reasons
        assert reasons[refused_by_contract].startswith("ValidationError"), reasons
        invoices, events, closed, counter = await written(runtime)
        assert sorted(invoices) == sorted(good)  # one invoice each, none for the failed ones
        assert events == 6  # the failed attempt's numbers and events were rolled back with it
        assert gapless(list(invoices.values()))
        assert counter == 6
        assert sorted(c for c in closed if c is not None) == [JAN] * 3 + [FEB] * 6

        async with runtime.sessions() as session, session.begin():  # the catalog fixes the tier's name
            await session.execute(
                update(ProductVersionRow).where(ProductVersionRow.product_id == nameless).values(tier="Tier 1")
            )
        again = await close_february(runtime)

        assert again.invoiced == 1
        assert sorted(f["subscription_id"] for f in again.failed) == sorted([corrupt_usage, no_rate])
        invoices, events, _, counter = await written(runtime)
        assert refused_by_contract in invoices
        assert events == 7
        assert gapless(list(invoices.values()))
        assert counter == 7


async def test_a_chunk_rolled_back_after_its_writes_leaves_nothing_and_an_invoiced_subscription_is_skipped(
    databases: DatabaseFactory,
) -> None:
    """A subscription already invoiced for the month (say by a concurrent close) that still looks open makes
    the chunk's invoice insert fail after its numbers were taken and its events written."""
    async with billing(databases, month_close_chunk=50) as runtime:
        ids = await add_subscriptions(runtime, await add_product(runtime), 5)
        async with runtime.sessions() as session, session.begin():
            await session.execute(insert(InvoiceRow), [_draft(ids[2])])

        summary = await close_february(runtime)

        assert (summary.invoiced, summary.skipped, summary.failed) == (4, 1, [])
        invoices, events, _, counter = await written(runtime)
        assert events == 4
        assert gapless([number for subscription, number in invoices.items() if subscription != ids[2]])
        assert counter == 4
        assert invoices[ids[2]] is None  # the earlier draft, untouched


async def test_chunks_closed_at_once_number_every_invoice_once_without_gaps(databases: DatabaseFactory) -> None:
    async with billing(databases, month_close_chunk=4, month_close_transactions=3) as runtime:
        product_id = await add_product(runtime)
        ids = await add_subscriptions(runtime, product_id, 23, quantity="900")  # fee lines
        ids += await add_subscriptions(runtime, product_id, 20)

        summary = await close_february(runtime)
        rerun = await close_february(runtime)

        assert (summary.invoiced, summary.failed) == (43, [])
        assert (rerun.invoiced, rerun.skipped, rerun.failed) == (0, 0, [])
        invoices, events, closed, counter = await written(runtime)
        assert sorted(invoices) == sorted(ids)
        assert events == 43
        assert gapless(list(invoices.values()))
        assert counter == 43
        assert set(closed) == {FEB}
        async with runtime.sessions() as session:
            totals = set((await session.execute(select(InvoiceRow.total))).scalars())
        assert totals == {COMMITMENT, Decimal("300.00")}  # 2 x 3000 x 0.05; 2 x 900 x 0.05 is below the commitment


async def test_a_close_without_issuing_writes_drafts_that_are_numbered_when_issued(databases: DatabaseFactory) -> None:
    async with billing(databases) as runtime:
        ids = await add_subscriptions(runtime, await add_product(runtime), 3)

        summary = await close_february(runtime, issue_invoices=False)

        assert summary.invoiced == 3
        invoices, events, closed, counter = await written(runtime)
        assert sorted(invoices) == sorted(ids)
        assert set(invoices.values()) == {None}
        assert (events, counter, set(closed)) == (0, 0, {FEB})
        async with runtime.sessions() as session:
            draft = (await session.execute(select(InvoiceRow).where(InvoiceRow.subscription_id == ids[0]))).scalar_one()
        assert (draft.status, draft.document["invoice_number"], draft.issued_at) == ("draft", None, None)

        issued = await issue(UseCase.system(runtime, "test"), draft.invoice_id)

        assert (issued.status, issued.number) == ("issued", "INV-2024-000001")
        assert issued.document["invoice_number"] == "INV-2024-000001"
        assert issued.total == draft.total
        _, events, _, counter = await written(runtime)
        assert (events, counter) == (1, 1)


def _draft(subscription_id: str) -> dict[str, Any]:
    return {
        "invoice_id": str(uuid.uuid4()),
        "subscription_id": subscription_id,
        "reseller_id": str(uuid.uuid4()),
        "period": FEB,
        "invoice_date": date(2024, 3, 1),
        "status": "draft",
        "number": None,
        "currency": "USD",
        "total": Decimal(0),
        "credited": Decimal(0),
        "revenue": Decimal(0),
        "cost": Decimal(0),
        "document": {},
        "created_at": datetime(2024, 3, 1, tzinfo=UTC),
    }
