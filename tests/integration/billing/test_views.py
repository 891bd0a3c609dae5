"""The reseller's month so far (per SKU and customer, estimated invoice, projection) and distributor margins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import pytest_asyncio

from billing.models import SupportItemRow, setting_versions
from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from bss.events.contracts.support import TierOneProgramActivatedV1
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, headers_for, reseller
from tests.integration.billing.world import STORAGE, WORKSTATION, BillingWorld, billing_world, eventually, new_id, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

C1, C2 = "0190c3a5-0000-7000-8000-0000000000c1", "0190c3a5-0000-7000-8000-0000000000c2"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    clock = FixedClock(utc(2024, 4, 10))  # 9 days of April elapsed
    async with billing_world(broker, databases, clock=clock, distributor_discount_percent="20") as instance:
        yield instance


async def test_current_month_per_sku_and_customer_with_estimated_invoice_and_shortfall_projection(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe()
    for customer, values in ((C1, ("40", "60")), (C2, ("48",))):
        for value in values:
            await world.publish(world.usage(*ids, WORKSTATION, value, utc(2024, 4, 3), customer=customer))
    await world.wait_counted(3, ids[1])
    as_reseller = headers_for(reseller(ids[0]))
    named = await world.client.put(
        f"/v1/resellers/{ids[0]}/customers/{C1}", json={"name": "Contoso Dental"}, headers=as_reseller
    )
    assert (named.status_code, named.json()["source"]) == (200, "api"), named.text
    stranger = headers_for(reseller(new_id()))
    refused = await world.client.put(f"/v1/resellers/{ids[0]}/customers/{C2}", json={"name": "x"}, headers=stranger)
    assert refused.status_code == 404
    listed = await world.client.get(f"/v1/resellers/{ids[0]}/customers", headers=as_reseller)
    assert [(c["customer_id"], c["name"]) for c in listed.json()] == [(C1, "Contoso Dental")]
    response = await world.client.get(f"/v1/resellers/{ids[0]}/consumption", headers=as_reseller)
    assert response.status_code == 200, response.text
    [month] = response.json()
    assert month["tier"] == "Tier 3"
    assert month["usage_total"] == "270.00"  # (60 + 48) workstations x 2.50
    [workstations] = month["skus"]
    assert workstations["customers"] == [
        {"customer_id": C1, "quantity": "60", "name": "Contoso Dental"},
        {"customer_id": C2, "quantity": "48", "name": None},  # not named yet: the page shows its id
    ]
    assert month["estimated_invoice"]["total"] == "1000.00"
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
    other = await world.client.get(f"/v1/resellers/{ids[0]}/consumption", headers=headers_for(reseller(new_id())))
    assert other.status_code == 404


async def test_distributor_margin_with_the_tier_one_program_active_for_the_whole_month(world: BillingWorld) -> None:
    await world.publish(
        TierOneProgramActivatedV1(
            program_id=new_id(),
            checkpoint_passed_on=date(2024, 2, 20),
            effective_from=date(2024, 3, 1),
            activated_at=utc(2024, 2, 20),
        )
    )
    ids = await world.subscribe()
    await world.publish(world.usage(*ids, STORAGE, "10000", utc(2024, 3, 3)))
    await world.publish(world.usage(*ids, WORKSTATION, "200", utc(2024, 3, 3)))
    await world.wait_counted(2, ids[1])

    async def program_known() -> bool:
        return await world.count(setting_versions, setting_versions.c.kind == "tier-one-program") > 0

    await eventually(program_known, what="the Tier 1 program")
    await world.close(date(2024, 3, 1))
    response = await world.client.get(
        "/v1/distributor/margins", params={"period": "2024-03-01"}, headers=headers_for(ADMIN)
    )
    mine = [r for r in response.json()["per_reseller"] if r["reseller_id"] == ids[0]]
    # revenue 850 usage + 150 fee; cost (350 + 500) x 0.8 x 0.9 = 612 (the fee carries no vendor cost)
    basis = "discount 20 %, Tier 1 program 10 %"  # the world's default discount, and the program
    assert mine == [
        {
            "reseller_id": ids[0],
            "currency": "USD",
            "revenue": "1000.00",
            "cost": "612.00",
            "margin": "388.00",
            "cost_basis": basis,
        }
    ]
    reporting = response.json()["reporting"]
    assert (reporting["currency"], reporting["rates_on"]) == ("USD", "2024-04-01")
    # every currency's revenue converted at its named rate (USD as it is), each rounded, then added up
    converted = Decimal(0)
    for total in response.json()["total"]:
        rates = [r for r in reporting["rates"] if r["from_currency"] == total["currency"]]
        if total["currency"] == "USD":
            converted += Decimal(total["revenue"])
        elif rates:
            amount = Decimal(total["revenue"]) * Decimal(rates[0]["rate"])
            converted += amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            assert total["currency"] in {m["from_currency"] for m in reporting["missing_fx_rates"]}
    assert Decimal(reporting["revenue"]) == converted


async def test_an_earlier_month_is_estimated_as_its_close_will_invoice_it_then_shows_its_invoice(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe(started_at=utc(2024, 2, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "200", utc(2024, 2, 3)))
    await world.publish(world.ticket_fee(*ids, utc(2024, 2, 20)))
    await world.wait_counted(1, ids[1])

    async def fee_known() -> bool:
        return await world.count(SupportItemRow, SupportItemRow.subscription_id == ids[1]) > 0

    await eventually(fee_known, what="the ticket fee")
    path, admin = f"/v1/resellers/{ids[0]}/consumption", headers_for(ADMIN)

    response = await world.client.get(path, params={"period": "2024-02-01"}, headers=admin)
    assert response.status_code == 200, response.text
    [month] = response.json()
    lines = [(line["kind"], line["amount"]) for line in month["estimated_invoice"]["lines"]]
    # 200 workstations x 2.50 = 500.00; the fee tops it up to the 1,000 commitment; the ticket fee comes on top
    assert lines == [("usage", "500.00"), ("commitment_fee", "500.00"), ("support_charge", "45.00")]
    assert month["estimated_invoice"]["total"] == "1045.00"
    assert month["projection"] is None  # the month is over: nothing to project

    await world.close(date(2024, 2, 1))
    invoice = await world.invoice(ids[1], date(2024, 2, 1))
    assert invoice["total"] == month["estimated_invoice"]["total"]
    [closed] = (await world.client.get(path, params={"period": "2024-02-01"}, headers=admin)).json()
    assert closed["problem"] is None
    assert (closed["invoice"]["invoice_id"], closed["invoice"]["status"]) == (invoice["invoice_id"], "issued")
    assert closed["invoice"]["invoice_number"] == invoice["number"]
    issued = [(line["kind"], line["amount"]) for line in closed["estimated_invoice"]["lines"]]
    assert issued == lines  # the lines as issued, as estimated
    assert (closed["estimated_invoice"]["total"], closed["projection"]) == ("1045.00", None)
    assert [(s["sku"], s["quantity"]) for s in closed["skus"]] == [(WORKSTATION, "200")]

    for refused in ("2024-02-02", "2024-05-01"):  # not a 1st; a month that has not started
        answer = await world.client.get(path, params={"period": refused}, headers=admin)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
