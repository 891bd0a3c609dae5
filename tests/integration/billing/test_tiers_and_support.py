"""Each period is rated with the tier in force for it; support charges and credits become invoice lines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
import pytest_asyncio

from billing.models import SupportItemRow, TierChangeRow
from bss.embedded_broker import EmbeddedBroker
from bss.events.contracts.catalog import PriceBookPublishedV1, ProductPublishedV1
from bss.events.contracts.subscriptions import SubscriptionTierChangedV1
from bss.events.contracts.support import IncidentCreditedV1
from tests.harness.databases import DatabaseFactory
from tests.integration.billing.world import WORKSTATION, BillingWorld, billing_world, eventually, new_id, utc

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases) as instance:
        yield instance


async def publish_tier_4(world: BillingWorld) -> str:
    product_id = new_id()
    await world.publish(
        ProductPublishedV1.model_validate(
            {
                "product_id": product_id,
                "effective_from": date(2023, 1, 1),
                "code": "ACC-CSP-TIER-4",
                "name": "Acronis Cyber Cloud for Service Providers - Tier 4",
                "tier": "Tier 4",
                "commitments": [{"currency": "USD", "amount": "2000"}],
                "usage_skus": [{"sku": WORKSTATION, "name": "Workstations", "unit": "workload", "aggregation": "max"}],
            }
        )
    )
    entry = {"product_id": product_id, "tier": "Tier 4", "sku": WORKSTATION, "currency": "USD", "unit_price": "2.00"}
    await world.publish(
        PriceBookPublishedV1.model_validate(
            {
                "price_book_id": new_id(),
                "name": "Tier 4 prices",
                "kind": "vendor_sell",
                "effective_from": date(2023, 1, 1),
                "publication_id": new_id(),
                "batch_number": 1,
                "batch_count": 1,
                "entries": [entry],
            }
        )
    )
    return product_id


async def test_an_upgrade_rates_its_whole_period_at_the_new_tier_and_never_reprices_the_month_before(
    world: BillingWorld,
) -> None:
    tier_4 = await publish_tier_4(world)
    ids = await world.subscribe()
    await world.publish(world.usage(*ids, WORKSTATION, "100", utc(2024, 1, 20)))
    await world.publish(world.usage(*ids, WORKSTATION, "1100", utc(2024, 2, 3)))
    await world.publish(
        SubscriptionTierChangedV1(
            subscription_id=ids[1],
            reseller_id=ids[0],
            from_product_id=world.product_id,
            from_tier="Tier 3",
            to_product_id=tier_4,
            to_tier="Tier 4",
            direction="upgrade",
            requested_at=utc(2024, 2, 14),
            effective_from=date(2024, 2, 1),
        )
    )
    await world.wait_counted(2, ids[1])

    async def changed() -> bool:
        return await world.count(TierChangeRow, TierChangeRow.subscription_id == ids[1]) == 1

    await eventually(changed, what="the tier change")
    await world.close(date(2024, 1, 1))
    await world.close(date(2024, 2, 1))
    january = await world.invoice(ids[1], date(2024, 1, 1))
    february = await world.invoice(ids[1], date(2024, 2, 1))
    assert (january["document"]["tier"], january["document"]["lines"][0]["amount"]) == ("Tier 3", "250.00")
    assert january["total"] == "1000.00"  # Tier 3's commitment
    assert (february["document"]["tier"], february["document"]["lines"][0]["amount"]) == ("Tier 4", "2200.00")
    assert february["document"]["commitment"] == "2000.00"
    assert february["total"] == "2200.00"


async def test_support_charges_and_credits_of_the_month_are_invoice_lines(world: BillingWorld) -> None:
    ids = await world.subscribe()
    ticket, event_id = new_id(), new_id()
    fee = world.ticket_fee(*ids, utc(2024, 7, 4), ticket_id=ticket)
    await world.publish(fee, event_id=event_id)
    await world.publish(fee, event_id=event_id)  # delivered twice: one charge
    await world.publish(
        IncidentCreditedV1(
            ticket_id=ticket,
            reseller_id=ids[0],
            credit_id=new_id(),
            subscription_id=ids[1],
            kind="charge_reversal",
            charge_id=fee.charge_id,
            amount=Decimal("45.00"),
            currency="USD",
            credited_at=utc(2024, 7, 9),
            reason="Confirmed product defect: no ticket fee.",
        )
    )
    await world.publish(world.usage(*ids, WORKSTATION, "500", utc(2024, 7, 3)))
    await world.wait_counted(1, ids[1])

    async def both_known() -> bool:
        return await world.count(SupportItemRow, SupportItemRow.subscription_id == ids[1]) == 2

    await eventually(both_known, what="the support items")
    await world.close(date(2024, 7, 1))
    invoice = await world.invoice(ids[1], date(2024, 7, 1))
    lines = [(line["kind"], line["amount"]) for line in invoice["document"]["lines"]]
    assert lines == [("usage", "1250.00"), ("support_charge", "45.00"), ("support_credit", "-45.00")]
    assert invoice["total"] == "1250.00"


async def test_a_support_charge_for_an_invoiced_month_goes_on_the_next_invoice_never_lost(world: BillingWorld) -> None:
    ids = await world.subscribe()
    await world.publish(world.usage(*ids, WORKSTATION, "500", utc(2024, 7, 3)))
    await world.wait_counted(1, ids[1])
    await world.close(date(2024, 7, 1))
    assert [line["kind"] for line in (await world.invoice(ids[1], date(2024, 7, 1)))["document"]["lines"]] == ["usage"]
    late = world.ticket_fee(*ids, utc(2024, 7, 30))  # July, but known to billing only after July was invoiced
    await world.publish(late)

    async def known() -> bool:
        return await world.count(SupportItemRow, SupportItemRow.subscription_id == ids[1]) == 1

    await eventually(known, what="the late charge")
    await world.publish(world.usage(*ids, WORKSTATION, "500", utc(2024, 8, 3)))
    await world.wait_counted(2, ids[1])
    await world.close(date(2024, 8, 1))
    august = await world.invoice(ids[1], date(2024, 8, 1))
    support = [line for line in august["document"]["lines"] if line["kind"] == "support_charge"]
    assert [(line["amount"], line["description"]) for line in support] == [
        ("45.00", "Support ticket fee (non-certified service provider) (2024-07)")
    ]
    july = await world.invoice(ids[1], date(2024, 7, 1))
    assert [line["kind"] for line in july["document"]["lines"]] == ["usage"]  # an issued invoice never changes
