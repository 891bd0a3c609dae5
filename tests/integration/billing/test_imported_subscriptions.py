"""An imported subscription (docs/domain.md, "Importing an existing book"): the months another system invoiced
are never invoiced here, and usage measured in them is refused; the next close invoices only the new month."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
import pytest_asyncio

from billing.models import InvoiceRow
from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, SYSTEM, headers_for
from tests.integration.billing.world import WORKSTATION, BillingWorld, billing_world, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

FEB, MAR = date(2031, 2, 1), date(2031, 3, 1)


@pytest_asyncio.fixture(loop_scope="session")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases, clock=FixedClock(utc(2031, 4, 10))) as instance:
        await instance.publish_catalog()
        yield instance


async def test_imported_subscription_is_invoiced_only_after_the_months_billed_elsewhere(world: BillingWorld) -> None:
    imported = await world.subscribe(started_at=utc(2029, 6, 15), billed_elsewhere_through=FEB)
    native = await world.subscribe(started_at=utc(2031, 1, 15))
    old = world.usage(*imported, WORKSTATION, "50", utc(2031, 2, 20))
    new = world.usage(*imported, WORKSTATION, "40", utc(2031, 3, 20))
    answer = await world.post_usage(
        [
            {"event_id": event_id, **event.model_dump(mode="json")}
            for event_id, event in (("old-1", old), ("new-1", new))
        ]
    )
    assert [(r["status"], r["reason_code"]) for r in answer.json()["results"]] == [
        ("rejected", "billed_elsewhere"),
        ("accepted", None),
    ]
    fate = await world.client.get("/v1/usage/old-1", headers=headers_for(SYSTEM))
    assert fate.json()["reason_code"] == "billed_elsewhere"
    assert "2031-02" in fate.json()["detail"]
    await world.wait_counted(1, imported[1])

    await world.close(MAR)

    assert await world.count(InvoiceRow, InvoiceRow.subscription_id == imported[1]) == 1  # March only
    march = (await world.invoice(imported[1], MAR))["document"]
    assert march["billing_period"] == "2031-03-01"
    assert [line["quantity"] for line in march["lines"] if line["kind"] == "usage"] == ["40"]
    # the native subscription catches up January and February first (ADR 0011); the imported one never does
    assert await world.count(InvoiceRow, InvoiceRow.subscription_id == native[1]) == 3
    views = await world.client.get(
        f"/v1/resellers/{imported[0]}/consumption", params={"period": FEB.isoformat()}, headers=headers_for(ADMIN)
    )
    assert views.json()[0]["problem"] == "2031-02 was invoiced by another system (imported as invoiced through 2031-02)"
    # no seller was ever set in this world: no e-invoice (a 409 saying why), and the PDF stands alone
    xml = await world.client.get(f"/v1/invoices/{march['invoice_id']}.xml", headers=headers_for(ADMIN))
    assert xml.status_code == 409
    assert "seller" in xml.json()["detail"]
    pdf = await world.client.get(f"/v1/invoices/{march['invoice_id']}.pdf", headers=headers_for(ADMIN))
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")
    again = await world.close(FEB)
    assert again["invoiced"] == 0
    assert await world.count(InvoiceRow, InvoiceRow.subscription_id == imported[1]) == 1
