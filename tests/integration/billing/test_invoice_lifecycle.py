"""Late usage as adjustments, concurrent closes, gapless numbers, void / paid, credit notes, CSV."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import pytest
import pytest_asyncio
from sqlalchemy import select

from billing.models import CreditNoteRow, InvoiceRow
from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, headers_for, reseller
from tests.integration.billing.world import BACKUP_JOBS, WORKSTATION, BillingWorld, billing_world, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

FEB, MAR = date(2024, 2, 1), date(2024, 3, 1)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases) as instance:
        yield instance


async def test_late_usage_becomes_an_adjustment_with_its_period_outside_the_commitment_comparison(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe()
    await world.publish(world.usage(*ids, WORKSTATION, "100", utc(2024, 2, 10)))
    await world.wait_counted(1, ids[1])
    await world.close(FEB)
    february = await world.invoice(ids[1], FEB)
    assert february["total"] == "1000.00"  # 250 usage + 750 fee
    await world.publish(world.usage(*ids, BACKUP_JOBS, "1000", utc(2024, 2, 20)))  # late: 100 USD
    await world.publish(world.usage(*ids, WORKSTATION, "300", utc(2024, 3, 10)))  # 750 USD
    await world.wait_counted(3, ids[1])
    await world.close(MAR)
    march = await world.invoice(ids[1], MAR)
    lines = [(line["kind"], line["amount"], line["original_period"]) for line in march["document"]["lines"]]
    assert lines == [
        ("usage", "750.00", None),
        ("commitment_fee", "250.00", None),
        ("adjustment", "100.00", "2024-02-01"),
    ]
    assert march["total"] == "1100.00"
    assert (await world.invoice(ids[1], FEB))["document"] == february["document"]  # never recomputed


async def test_two_concurrent_closes_produce_each_invoice_once_with_gapless_numbers(world: BillingWorld) -> None:
    subscriptions = [await world.subscribe(started_at=utc(2024, 4, 2)) for _ in range(4)]
    for ids in subscriptions:
        await world.publish(world.usage(*ids, WORKSTATION, "10", utc(2024, 4, 5)))
    await world.wait_counted(4, *[s for _, s in subscriptions])
    first, second = await asyncio.gather(world.close(date(2024, 4, 1)), world.close(date(2024, 4, 1)))
    mine = [s for _, s in subscriptions]
    async with world.runtime.sessions() as session:
        invoices = list(
            (await session.execute(select(InvoiceRow).where(InvoiceRow.period == date(2024, 4, 1)))).scalars()
        )
        per_year: dict[str, list[int]] = {}
        for number in (await session.execute(select(InvoiceRow.number))).scalars():
            if number:
                _prefix, year, sequence = number.split("-")
                per_year.setdefault(year, []).append(int(sequence))
    assert first["invoiced"] + second["invoiced"] == len(invoices)
    assert sorted(i.subscription_id for i in invoices if i.subscription_id in mine) == sorted(mine)
    for numbers in per_year.values():  # one gapless sequence per year
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


async def test_close_of_a_month_that_has_not_ended_is_refused_and_writes_nothing(world: BillingWorld) -> None:
    before = await world.count(InvoiceRow)
    response = await world.client.post("/v1/month-closes", json={"period": "2999-01-01"}, headers=headers_for(ADMIN))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "period"
    response = await world.client.post("/v1/month-closes", json={"period": "2024-01-15"}, headers=headers_for(ADMIN))
    assert response.json()["errors"][0]["field"] == "period"
    assert await world.count(InvoiceRow) == before


async def test_credit_notes_never_exceed_the_open_amount(world: BillingWorld) -> None:
    ids = await world.subscribe(started_at=utc(2024, 5, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "500", utc(2024, 5, 3)))  # 1,250 USD
    await world.wait_counted(1, ids[1])
    await world.close(date(2024, 5, 1))
    invoice = await world.invoice(ids[1], date(2024, 5, 1))
    url = f"/v1/invoices/{invoice['invoice_id']}/credit-notes"
    too_much = {"lines": [{"description": "Goodwill", "amount": "1250.01"}], "reason": "Too generous."}
    response = await world.client.post(url, json=too_much, headers=headers_for(ADMIN))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines"
    assert await world.count(CreditNoteRow) == 0
    fine = {"lines": [{"description": "Workstations counted twice", "amount": "1000.00"}], "reason": "Duplicate."}
    retry_safe = {**headers_for(ADMIN), "Idempotency-Key": "cn-1"}
    created = await world.client.post(url, json=fine, headers=retry_safe)
    assert created.status_code == 201, created.text
    assert created.json()["number"].startswith("CN-")
    retried = await world.client.post(url, json=fine, headers=retry_safe)  # a client retry after a timeout
    assert retried.json() == created.json()
    assert await world.count(CreditNoteRow) == 1
    again = await world.client.post(url, json=fine, headers=headers_for(ADMIN))  # only 250 left open
    assert again.status_code == 422
    read = await world.client.get(f"/v1/invoices/{invoice['invoice_id']}", headers=headers_for(ADMIN))
    assert read.json()["credited"] == "1000.00"


async def test_void_pay_transitions_csv_and_tenant_scope(world: BillingWorld) -> None:
    ids = await world.subscribe(started_at=utc(2024, 6, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "4", utc(2024, 6, 3)))
    await world.wait_counted(1, ids[1])
    await world.close(date(2024, 6, 1))
    invoice = await world.invoice(ids[1], date(2024, 6, 1))
    base = f"/v1/invoices/{invoice['invoice_id']}"
    csv = await world.client.get(base + ".csv", headers=headers_for(reseller(ids[0])))
    assert "Minimum Commitment Amount Fee" in csv.text
    assert (await world.client.get(base, headers=headers_for(reseller(ids[1])))).status_code == 404
    pdf = await world.client.get(base + ".pdf", headers=headers_for(reseller(ids[0])))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    voided = await world.client.post(base + "/void", json={"reason": "Wrong entity."}, headers=headers_for(ADMIN))
    assert voided.json()["status"] == "void"
    refused = await world.client.post(base + "/pay", headers=headers_for(ADMIN))
    assert refused.status_code == 409


async def test_closing_a_month_first_closes_the_earlier_months_a_subscription_still_has_open(
    world: BillingWorld,
) -> None:
    sep, octo = date(2024, 9, 1), date(2024, 10, 1)
    ids = await world.subscribe(started_at=utc(2024, 9, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "100", utc(2024, 9, 10)))  # 250 USD
    await world.publish(world.usage(*ids, WORKSTATION, "500", utc(2024, 10, 10)))  # 1,250 USD
    await world.wait_counted(2, ids[1])
    summary = await world.close(octo)  # September was never closed: it must not be skipped
    caught_up = {earlier["period"]: earlier["invoiced"] for earlier in summary["caught_up"]}
    assert list(caught_up) == sorted(caught_up)  # in order (other subscriptions of this module catch up too)
    assert caught_up["2024-09-01"] >= 1
    september = await world.invoice(ids[1], sep)
    assert [(line["kind"], line["amount"]) for line in september["document"]["lines"]] == [
        ("usage", "250.00"),
        ("commitment_fee", "750.00"),
    ]
    october = await world.invoice(ids[1], octo)
    assert [(line["kind"], line["amount"]) for line in october["document"]["lines"]] == [("usage", "1250.00")]
    assert (await world.close(octo))["caught_up"] == []  # re-running changes nothing
