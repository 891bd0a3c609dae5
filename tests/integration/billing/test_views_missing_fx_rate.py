"""Issue 16: a missing FX rate degrades the consumption view (estimate, projection) and never the invoice.

The world's rate tables quote CHF and JPY only: a ticket fee in EUR (support's default currency) has no rate to
USD, and a reseller billed in GBP (not a currency of the product) has no rate from the USD price list.

The months are in 2030, which no other module's close reaches: the shared broker replays these events into every
later billing world, whose closes would otherwise report these subscriptions failed again and again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import pytest_asyncio

from billing.models import InvoiceRow, SupportItemRow
from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, headers_for, reseller
from tests.integration.billing.world import WORKSTATION, BillingWorld, billing_world, eventually, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

C1, C2 = "0190c3a5-0000-7000-8000-0000000000c1", "0190c3a5-0000-7000-8000-0000000000c2"
NO_EUR_TO_USD_FOR_MAY = {"from_currency": "EUR", "to_currency": "USD", "on": "2030-05-01"}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases, clock=FixedClock(utc(2030, 4, 10))) as instance:  # 9 days elapsed
        yield instance


async def _with_eur_ticket_fee(world: BillingWorld, ids: tuple[str, str], charged_on: int, month: int = 4) -> None:
    await world.publish(world.ticket_fee(*ids, utc(2030, month, charged_on), currency="EUR"))

    async def fee_known() -> bool:
        return await world.count(SupportItemRow, SupportItemRow.subscription_id == ids[1]) > 0

    await eventually(fee_known, what="the ticket fee")


async def _consumption(world: BillingWorld, reseller_id: str, **params: str) -> dict[str, Any]:
    response = await world.client.get(
        f"/v1/resellers/{reseller_id}/consumption", params=params, headers=headers_for(reseller(reseller_id))
    )
    assert response.status_code == 200, response.text
    [month] = response.json()
    return dict(month)


def _priced(line: dict[str, Any]) -> tuple[str, str | None, Any]:
    return line["kind"], line["amount"], line["missing_fx_rate"]


async def test_a_ticket_fee_without_an_fx_rate_is_marked_and_the_rest_of_the_estimate_is_priced(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe(started_at=utc(2030, 4, 1))
    for customer, value in ((C1, "60"), (C2, "48")):
        await world.publish(world.usage(*ids, WORKSTATION, value, utc(2030, 4, 3), customer=customer))
    await world.wait_counted(2, ids[1])
    await _with_eur_ticket_fee(world, ids, charged_on=5)

    month = await _consumption(world, ids[0])

    assert month["problem"] is None
    assert (month["commitment"], month["usage_total"]) == ("1000.00", "270.00")  # 108 workstations x 2.50
    estimate = month["estimated_invoice"]
    assert [_priced(line) for line in estimate["lines"]] == [
        ("usage", "270.00", None),
        ("commitment_fee", "730.00", None),
        ("support_charge", None, NO_EUR_TO_USD_FOR_MAY),
    ]
    assert estimate["lines"][-1]["unconverted_amount"] == "45.00"
    assert (estimate["subtotal"], estimate["total"], estimate["totals_complete"]) == ("1000.00", "1000.00", False)
    assert month["missing_fx_rates"] == [NO_EUR_TO_USD_FOR_MAY]
    assert month["totals_complete"] is False
    # the projection needs no rate: usage and commitment are priced in USD, support plays no part in it
    assert month["projection"] == {
        # workstations are billed on their peak: the peak so far is the month's, it does not grow with the days
        "projected_usage_total": "270.00",
        "projected_commitment_fee": "730.00",
        "elapsed_days": "9.00",
        "totals_complete": True,
        "skus": [
            {
                "sku": WORKSTATION,
                "aggregation": "max",
                "quantity": "108",
                "projected_quantity": "108.0000",
                "amount": "270.00",
                "projected_amount": "270.00",
            }
        ],
    }
    assert [c["quantity"] for c in month["skus"][0]["customers"]] == ["60", "48"]


async def test_usage_priced_through_a_missing_fx_rate_leaves_the_estimate_and_projection_incomplete(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe(currency="GBP", country="GB", started_at=utc(2030, 4, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "100", utc(2030, 4, 3)))
    await world.wait_counted(1, ids[1])
    await _with_eur_ticket_fee(world, ids, charged_on=6)

    month = await _consumption(world, ids[0])

    no_usd_to_gbp = {"from_currency": "USD", "to_currency": "GBP", "on": "2030-05-01"}
    no_eur_to_gbp = {"from_currency": "EUR", "to_currency": "GBP", "on": "2030-05-01"}
    estimate = month["estimated_invoice"]
    assert [(*_priced(line), line["unconverted_amount"]) for line in estimate["lines"]] == [
        ("usage", None, no_usd_to_gbp, "250.00"),  # 100 x 2.50 USD
        ("commitment_fee", None, no_usd_to_gbp, "750.00"),
        ("support_charge", None, no_eur_to_gbp, "45.00"),
    ]
    assert (month["commitment"], month["usage_total"]) == (None, "0.00")
    assert (estimate["total"], estimate["totals_complete"]) == ("0.00", False)
    assert month["missing_fx_rates"] == [no_usd_to_gbp, no_eur_to_gbp]
    assert month["totals_complete"] is False
    projection = month["projection"]
    assert (projection["projected_commitment_fee"], projection["totals_complete"]) == (None, False)


async def test_the_close_of_a_month_with_a_missing_fx_rate_still_refuses_to_invoice_it(world: BillingWorld) -> None:
    ids = await world.subscribe(started_at=utc(2030, 3, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "200", utc(2030, 3, 3)))
    await world.wait_counted(1, ids[1])
    await _with_eur_ticket_fee(world, ids, charged_on=20, month=3)
    march = await _consumption(world, ids[0], period="2030-03-01")
    assert march["missing_fx_rates"] == [{"from_currency": "EUR", "to_currency": "USD", "on": "2030-04-01"}]

    summary = await world.close(date(2030, 3, 1))

    assert {"subscription_id": ids[1], "reason": "no FX rate from EUR to USD on or before 2030-04-01"} in summary[
        "failed"
    ]
    assert await world.count(InvoiceRow, InvoiceRow.subscription_id == ids[1]) == 0
    again = await world.client.get(
        f"/v1/resellers/{ids[0]}/consumption", params={"period": "2030-03-01"}, headers=headers_for(ADMIN)
    )
    assert again.status_code == 200, again.text
    [still_open] = again.json()
    assert (still_open["problem"], still_open["totals_complete"]) == (None, False)
