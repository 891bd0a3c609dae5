"""The scheduler closes last month on its own once the grace period after the 1st has passed."""

from __future__ import annotations

from datetime import date

import pytest

from billing.models import InvoiceRow
from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.integration.billing.world import WORKSTATION, billing_world, eventually, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


async def test_scheduler_invoices_the_previous_month_after_the_grace_period(
    broker: EmbeddedBroker, databases: DatabaseFactory
) -> None:
    clock = FixedClock(utc(2024, 3, 1, 1))  # within the 2 h grace: February is not closed yet
    settings = {"month_close_scheduler": True, "month_close_check_interval_s": 0.1}
    async with billing_world(broker, databases, clock=clock, **settings) as world:
        ids = await world.subscribe()
        await world.publish(world.usage(*ids, WORKSTATION, "10", utc(2024, 2, 10)))
        await world.wait_counted(1, ids[1])
        february = InvoiceRow.subscription_id == ids[1], InvoiceRow.period == date(2024, 2, 1)
        assert await world.count(InvoiceRow, *february) == 0
        clock.set(utc(2024, 3, 1, 2, 30))

        async def invoiced() -> bool:
            return await world.count(InvoiceRow, *february) == 1

        await eventually(invoiced, what="the scheduled close")
