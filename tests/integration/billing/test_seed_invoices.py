"""Seed 003 end to end: catalog, subscriptions and usage events through the real broker, then a month close."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
import pytest_asyncio

from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.integration.billing.world import BACKUP_JOBS, STORAGE, WORKSTATION, BillingWorld, billing_world, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

FEB_2024 = date(2024, 2, 1)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases, tax_rates={"CH": "8.1"}) as instance:
        yield instance


async def worth_850(world: BillingWorld, reseller_id: str, subscription_id: str, *, workstations: str = "200") -> int:
    """10,000 GB (last value) x 0.035 = 350 USD; 200 workstations (max) x 2.50 = 500 USD."""
    usage = [
        world.usage(reseller_id, subscription_id, STORAGE, "12000", utc(2024, 2, 3)),
        world.usage(reseller_id, subscription_id, STORAGE, "10000", utc(2024, 2, 27)),  # the last value counts
        world.usage(reseller_id, subscription_id, WORKSTATION, workstations, utc(2024, 2, 10)),
        world.usage(reseller_id, subscription_id, WORKSTATION, "150", utc(2024, 2, 20)),
    ]
    for data in reversed(usage):  # arrival order does not matter
        await world.publish(data)
    return len(usage)


def amounts(invoice: dict[str, object]) -> list[tuple[str, str]]:
    document = invoice["document"]
    assert isinstance(document, dict)
    return [(line["kind"], line["amount"]) for line in document["lines"]]


async def test_seed_003_usage_850_gets_the_150_fee_and_usage_1150_none(world: BillingWorld) -> None:
    below = await world.subscribe()
    above = await world.subscribe()
    ramp = await world.subscribe(started_at=utc(2024, 2, 1, 9), ramp_up=1)
    n = await worth_850(world, *below)
    n += await worth_850(world, *above, workstations="320")  # 350 + 800 = 1,150
    n += await worth_850(world, *ramp)
    await world.wait_counted(n, below[1], above[1], ramp[1])

    summary = await world.close(FEB_2024)
    assert summary["invoiced"] >= 3

    invoice = await world.invoice(below[1], FEB_2024)
    assert amounts(invoice) == [("usage", "350.00"), ("usage", "500.00"), ("commitment_fee", "150.00")]
    assert invoice["document"]["lines"][2]["description"] == "Minimum Commitment Amount Fee"
    assert invoice["total"] == "1000.00"
    assert invoice["status"] == "issued"
    assert invoice["number"].startswith("INV-2024-")

    invoice = await world.invoice(above[1], FEB_2024)
    assert amounts(invoice) == [("usage", "350.00"), ("usage", "800.00")]
    assert invoice["total"] == "1150.00"

    invoice = await world.invoice(ramp[1], FEB_2024)
    assert amounts(invoice) == [("usage", "350.00"), ("usage", "500.00")]
    assert invoice["document"]["ramp_up_applied"] is True
    assert invoice["total"] == "850.00"

    again = await world.close(FEB_2024)
    assert again["invoiced"] == 0  # re-running changes nothing


async def test_jpy_reseller_is_rated_in_yen_without_minor_unit(world: BillingWorld) -> None:
    reseller_id, subscription_id = await world.subscribe(currency="JPY", country="JP")
    await world.publish(world.usage(reseller_id, subscription_id, STORAGE, "1000.5", utc(2024, 2, 3)))
    await world.publish(world.usage(reseller_id, subscription_id, BACKUP_JOBS, "7", utc(2024, 2, 3)))
    await world.publish(world.usage(reseller_id, subscription_id, BACKUP_JOBS, "3", utc(2024, 2, 4)))
    await world.wait_counted(3, subscription_id)
    await world.close(FEB_2024)
    invoice = await world.invoice(subscription_id, FEB_2024)
    # jobs: (7 + 3) x 15 = 150; storage: 1000.5 x 5.2 = 5202.6 -> 5203; fee: 150,000 - 5,353
    assert amounts(invoice) == [("usage", "150"), ("usage", "5203"), ("commitment_fee", "144647")]
    assert invoice["currency"] == "JPY"
    assert invoice["total"] == "150000"


async def test_chf_reseller_is_rated_in_usd_and_converted_at_the_invoice_date_rate(world: BillingWorld) -> None:
    reseller_id, subscription_id = await world.subscribe(currency="CHF", country="CH")
    n = await worth_850(world, reseller_id, subscription_id)
    await world.wait_counted(n, subscription_id)
    await world.close(FEB_2024)
    invoice = await world.invoice(subscription_id, FEB_2024)
    document = invoice["document"]
    # 350 USD -> 294.42 CHF; 500 USD -> 420.60 CHF; 1,000 USD commitment -> 841.20 CHF; fee 126.18
    assert amounts(invoice) == [("usage", "294.42"), ("usage", "420.60"), ("commitment_fee", "126.18")]
    assert document["price_list_currency"] == "USD"
    assert document["fx"]["rate"] == "0.8412"
    assert document["tax"] == "68.14"  # 841.20 x 8.1% = 68.1372
    assert invoice["total"] == "909.34"


async def test_december_2023_invoice_names_tier_2_for_the_1000_usd_product(world: BillingWorld) -> None:
    reseller_id, subscription_id = await world.subscribe()
    await world.publish(world.usage(reseller_id, subscription_id, WORKSTATION, "500", utc(2023, 12, 5)))
    await world.wait_counted(1, subscription_id)
    await world.close(date(2023, 12, 1))
    invoice = await world.invoice(subscription_id, date(2023, 12, 1))
    assert invoice["document"]["tier"] == "Tier 2"
    assert invoice["total"] == "1250.00"
