"""The month close takes `requested_at` like the suite's other admin operations: it runs as of that instant (the
month must have ended by then; the invoices are issued at it, created at the real time), only for admins, with a
UTC offset, and never in the future beyond the clock skew (nor for a month that has not really ended)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from billing.models import InvoiceRow
from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, SUPPORT_AGENT, headers_for, reseller
from tests.integration.billing.world import WORKSTATION, BillingWorld, billing_world, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

NOW = utc(2024, 6, 10, 12)
APRIL, MAY, JUNE = date(2024, 4, 1), date(2024, 5, 1), date(2024, 6, 1)


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory, clock: FixedClock) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases, clock=clock) as instance:
        yield instance


async def close(world: BillingWorld, body: dict[str, Any], caller: Any = ADMIN) -> httpx.Response:
    return await world.client.post("/v1/month-closes", json=body, headers=headers_for(caller))


async def invoice_row(world: BillingWorld, subscription_id: str, period: date) -> InvoiceRow:
    async with world.runtime.sessions() as session:
        query = select(InvoiceRow).where(InvoiceRow.subscription_id == subscription_id, InvoiceRow.period == period)
        return (await session.execute(query)).scalar_one()


def refused_field(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["errors"][0]["field"])


async def test_a_backdated_close_runs_as_of_requested_at(world: BillingWorld) -> None:
    ids = await world.subscribe(started_at=utc(2024, 4, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "100", utc(2024, 4, 10)))
    await world.wait_counted(1, ids[1])
    before = await world.count(InvoiceRow)

    # May has ended by now, but not by May 20th: as of then it is not due.
    not_yet = await close(world, {"period": MAY.isoformat(), "requested_at": "2024-05-20T00:00:00Z"})
    assert refused_field(not_yet, 422) == "period"
    assert "requested_at 2024-05-20T00:00:00+00:00" in not_yet.json()["detail"]
    assert await world.count(InvoiceRow) == before

    # As of the very instant April ends (written with another offset), April is due.
    closed = await close(world, {"period": APRIL.isoformat(), "requested_at": "2024-05-01T02:00:00+02:00"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["period"] == "2024-04-01"
    assert closed.json()["invoiced"] >= 1
    invoice = await invoice_row(world, ids[1], APRIL)
    assert invoice.status == "issued"
    assert invoice.issued_at == utc(2024, 5, 1)  # issued as of requested_at
    assert invoice.created_at == NOW  # the real time, for the audit
    assert invoice.invoice_date == date(2024, 5, 1)
    assert (await world.invoice(ids[1], APRIL))["total"] == "1000.00"  # 250 usage + 750 commitment fee


async def test_without_requested_at_the_close_runs_now(world: BillingWorld) -> None:
    ids = await world.subscribe(started_at=utc(2024, 5, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "10", utc(2024, 5, 10)))
    await world.wait_counted(1, ids[1])
    closed = await close(world, {"period": MAY.isoformat()})
    assert closed.status_code == 200, closed.text
    invoice = await invoice_row(world, ids[1], MAY)
    assert invoice.issued_at == invoice.created_at == NOW
    assert refused_field(await close(world, {"period": JUNE.isoformat()}), 422) == "period"  # June has not ended


async def test_requested_at_without_a_utc_offset_or_in_the_future_is_refused(world: BillingWorld) -> None:
    before = await world.count(InvoiceRow)
    naive = await close(world, {"period": APRIL.isoformat(), "requested_at": "2024-05-02T00:00:00"})
    assert refused_field(naive, 422) == "requested_at"
    ahead = (NOW + timedelta(minutes=10)).isoformat()
    future = await close(world, {"period": APRIL.isoformat(), "requested_at": ahead})
    assert refused_field(future, 422) == "requested_at"
    assert "future" in future.json()["detail"]
    assert await world.count(InvoiceRow) == before


@pytest.mark.parametrize("caller", [SUPPORT_AGENT, reseller("0190c3a0-0000-7000-8000-0000000000aa")])
async def test_only_admins_close_a_month_backdated_or_not(world: BillingWorld, caller: Any) -> None:
    before = await world.count(InvoiceRow)
    for body in ({"period": APRIL.isoformat(), "requested_at": "2024-05-02T00:00:00Z"}, {"period": APRIL.isoformat()}):
        response = await close(world, body, caller)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert await world.count(InvoiceRow) == before


async def test_within_the_clock_skew_a_month_that_has_not_really_ended_is_not_closed(
    world: BillingWorld, clock: FixedClock
) -> None:
    clock.set(utc(2024, 6, 30, 23, 58))
    try:
        before = await world.count(InvoiceRow)
        early = await close(world, {"period": JUNE.isoformat(), "requested_at": "2024-07-01T00:02:00Z"})
        assert refused_field(early, 422) == "period"
        assert "has not ended yet" in early.json()["detail"]
        assert await world.count(InvoiceRow) == before
    finally:
        clock.set(NOW)
