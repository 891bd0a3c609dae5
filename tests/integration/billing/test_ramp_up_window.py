"""The ramp-up window subscriptions decides reaches billing on its events, and the invoices waive the Minimum
Commitment Amount Fee exactly in its periods (docs/domain.md, "Ramp-up", "Ramp-up cycles")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
import pytest_asyncio
from sqlalchemy import select

from billing.models import SubscriptionRow
from bss.embedded_broker import EmbeddedBroker
from bss.events.contracts.subscriptions import RampUpGrantedV1, TrialConvertedV1
from tests.harness.databases import DatabaseFactory
from tests.integration.billing.world import WORKSTATION, BillingWorld, billing_world, eventually, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

SEP, OCT, NOV, DEC, JAN = date(2023, 9, 1), date(2023, 10, 1), date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases) as instance:
        yield instance


async def window_of(world: BillingWorld, subscription_id: str) -> tuple[date | None, date | None]:
    async with world.runtime.sessions() as session:
        row = (
            await session.execute(
                select(SubscriptionRow.ramp_up_first_period, SubscriptionRow.ramp_up_last_period).where(
                    SubscriptionRow.subscription_id == subscription_id
                )
            )
        ).one()
    return row[0], row[1]


async def use_400_a_month(world: BillingWorld, reseller_id: str, subscription_id: str, months: list[date]) -> int:
    """160 workstations (max) x 2.50 = 400 USD a month, below the 1,000 USD commitment, measured on the 25th
    (after the trial below converts: trial usage is never invoiced)."""
    for month in months:
        measured_at = utc(month.year, month.month, 25)
        await world.publish(world.usage(reseller_id, subscription_id, WORKSTATION, "160", measured_at))
    return len(months)


async def fees(world: BillingWorld, subscription_id: str, months: list[date]) -> list[tuple[bool, str, str]]:
    """Per month: whether the ramp-up applied, the commitment fee (or '-') and the total."""
    found = []
    for month in months:
        document = (await world.invoice(subscription_id, month))["document"]
        fee = next((line["amount"] for line in document["lines"] if line["kind"] == "commitment_fee"), "-")
        found.append((document["ramp_up_applied"], fee, document["total"]))
    return found


async def test_the_fee_is_waived_exactly_in_the_ramp_up_window_the_subscription_events_carry(
    world: BillingWorld,
) -> None:
    # Paid from 2023-10-15 with 3 cycles: subscriptions carries October to December on RampUpGranted.
    paid = await world.subscribe(started_at=utc(2023, 10, 15, 9), ramp_up=3)
    # A trial from 2023-09-10 converted on the 20th with 2 cycles: the window (September, October) is known at
    # conversion, so RampUpGranted has none and TrialConverted carries it.
    reseller_id, trial_id = await world.subscribe(started_at=utc(2023, 9, 10), kind="trial")
    granted = RampUpGrantedV1(
        subscription_id=trial_id,
        reseller_id=reseller_id,
        cycles=2,
        first_period=None,
        scope="all_new_resellers",
        granted_at=utc(2023, 9, 10),
    )
    converted = TrialConvertedV1(
        subscription_id=trial_id,
        reseller_id=reseller_id,
        product_id=world.product_id,
        converted_at=utc(2023, 9, 20),
        ramp_up_first_period=SEP,
        ramp_up_last_period=OCT,
    )
    await world.publish(granted)
    await world.publish(converted)

    async def windows_arrived() -> bool:
        return await window_of(world, paid[1]) == (OCT, DEC) and await window_of(world, trial_id) == (SEP, OCT)

    await eventually(windows_arrived, what="the ramp-up windows in billing's read model")
    n = await use_400_a_month(world, *paid, [OCT, NOV, DEC, JAN])
    n += await use_400_a_month(world, reseller_id, trial_id, [SEP, OCT, NOV, DEC, JAN])
    await world.wait_counted(n, paid[1], trial_id)

    await world.close(JAN)  # closes September to January in order

    assert await fees(world, paid[1], [OCT, NOV, DEC, JAN]) == [
        (True, "-", "400.00"),
        (True, "-", "400.00"),
        (True, "-", "400.00"),
        (False, "600.00", "1000.00"),
    ]
    assert await fees(world, trial_id, [SEP, OCT, NOV, DEC, JAN]) == [
        (True, "-", "400.00"),
        (True, "-", "400.00"),
        (False, "600.00", "1000.00"),
        (False, "600.00", "1000.00"),
        (False, "600.00", "1000.00"),
    ]


async def test_a_ramp_up_event_without_its_window_counts_its_cycles_from_the_paid_month(world: BillingWorld) -> None:
    # An event written before the window was carried: billing falls back to counting 2 cycles from October.
    reseller_id, subscription_id = await world.subscribe(
        started_at=utc(2023, 10, 15, 9), ramp_up=2, legacy_ramp_up=True
    )
    assert await window_of(world, subscription_id) == (None, None)
    n = await use_400_a_month(world, reseller_id, subscription_id, [OCT, NOV, DEC])
    await world.wait_counted(n, subscription_id)

    await world.close(DEC)

    assert await fees(world, subscription_id, [OCT, NOV, DEC]) == [
        (True, "-", "400.00"),
        (True, "-", "400.00"),
        (False, "600.00", "1000.00"),
    ]
