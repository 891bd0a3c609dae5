"""FX rates of any pair on invoices (docs/domain.md, "FX rates", "FX conversion order and rounding"): a direct
pair converts on its own, a pair no table quotes goes through the `fx-base-currency` setting, and the invoice
records every rate used with its table and date (`fx.legs`).

The months are in 2031, which no other module's close reaches: the shared broker replays these events (the
EUR->SEK pair, the subscriptions) into every later billing world.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import pytest
import pytest_asyncio

from billing.models import FxPairRow, InvoiceRow, PriceRow, ProductVersionRow, SupportItemRow
from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from bss.events.contracts.catalog import FxRatesPublishedV1, PriceBookPublishedV1, ProductChangedV1
from bss.money import round_money
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, SUPPORT_AGENT, headers_for
from tests.integration.billing.world import (
    BACKUP_JOBS,
    STORAGE,
    WORKSTATION,
    BillingWorld,
    billing_world,
    eventually,
    new_id,
    utc,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

FEB, MAR = date(2031, 2, 1), date(2031, 3, 1)
PAIR_TABLE = new_id()
CHF_RESELLER = new_id()  # rated from JPY: its price-list currency is set before any month is invoiced
PRICES = {
    "USD": {STORAGE: "0.035", WORKSTATION: "2.50", BACKUP_JOBS: "0.10"},
    "EUR": {STORAGE: "0.032", WORKSTATION: "2.30", BACKUP_JOBS: "0.09"},
    "JPY": {STORAGE: "5.2", WORKSTATION: "370", BACKUP_JOBS: "15"},
}
CHF_PER_JPY = Context(prec=28).divide(Decimal("0.8412"), Decimal("141.25")).normalize(Context(prec=28))
"""JPY -> USD -> CHF through the world's table (0.8412 CHF and 141.25 JPY per USD): its same-table cross rate."""


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(broker: EmbeddedBroker, databases: DatabaseFactory) -> AsyncIterator[BillingWorld]:
    async with billing_world(broker, databases, clock=FixedClock(utc(2031, 4, 10))) as instance:
        await _publish_product_in_usd_eur_and_jpy(instance)
        await instance.publish(
            FxRatesPublishedV1.model_validate(
                {
                    "rate_table_id": PAIR_TABLE,
                    "effective_from": date(2031, 1, 1),
                    "rates": [],
                    "pairs": [{"base": "EUR", "quote": "SEK", "rate": "11.2"}],
                    "source": "test",
                }
            )
        )
        await eventually(
            lambda: _has(instance, FxPairRow, FxPairRow.rate_table_id == PAIR_TABLE), what="the EUR->SEK pair"
        )
        changed = await _put(instance, "price-list-currencies/*", {"currency": "EUR"}, date(2031, 1, 1))
        assert changed.status_code == 200, changed.text
        await instance.set_profile(
            CHF_RESELLER, date(2031, 1, 1), currency="CHF", country="CH", price_list_currency="JPY"
        )
        yield instance


async def _has(world: BillingWorld, model: Any, *where: Any) -> bool:
    return await world.count(model, *where) > 0


async def _put(world: BillingWorld, path: str, value: dict[str, Any], effective_from: date) -> Any:
    return await world.client.put(
        f"/v1/settings/{path}",
        json={"value": value, "effective_from": effective_from.isoformat(), "reason": "test"},
        headers=headers_for(ADMIN),
    )


async def _publish_product_in_usd_eur_and_jpy(world: BillingWorld) -> None:
    world.product_id = new_id()  # the world's own product has no EUR price list
    skus = [
        {"sku": STORAGE, "name": "Backup storage (GB)", "unit": "GB", "aggregation": "last"},
        {"sku": WORKSTATION, "name": "Workstations", "unit": "workload", "aggregation": "max"},
        {"sku": BACKUP_JOBS, "name": "Backup jobs", "unit": "job", "aggregation": "sum"},
    ]
    await world.publish(
        ProductChangedV1.model_validate(
            {
                "product_id": world.product_id,
                "effective_from": date(2024, 1, 1),
                "code": "ACC-CSP-TIER-3-FX",
                "name": "Acronis Cyber Cloud for Service Providers - Tier 3",
                "tier": "Tier 3",
                "commitments": [
                    {"currency": "USD", "amount": "1000"},
                    {"currency": "EUR", "amount": "900"},
                    {"currency": "JPY", "amount": "150000"},
                ],
                "usage_skus": skus,
                "changes": ["renamed"],
                "previous_name": "Tier 3",
            }
        )
    )
    entries = [
        {"product_id": world.product_id, "tier": "Tier 3", "sku": sku, "currency": currency, "unit_price": price}
        for currency, prices in PRICES.items()
        for sku, price in prices.items()
    ]
    await world.publish(
        PriceBookPublishedV1.model_validate(
            {
                "price_book_id": new_id(),
                "name": "Acronis sell prices",
                "kind": "vendor_sell",
                "effective_from": date(2023, 1, 1),
                "publication_id": new_id(),
                "batch_number": 1,
                "batch_count": 1,
                "entries": entries,
            }
        )
    )
    product = world.product_id
    await eventually(lambda: _has(world, ProductVersionRow, ProductVersionRow.product_id == product), what="product")
    await eventually(
        lambda: _has(world, PriceRow, PriceRow.product_id == product, PriceRow.currency == "JPY"), what="prices"
    )


async def _with_ticket_fee(world: BillingWorld, ids: tuple[str, str], currency: str) -> None:
    await world.publish(world.ticket_fee(*ids, utc(2031, 2, 12), currency=currency))
    await eventually(
        lambda: _has(world, SupportItemRow, SupportItemRow.subscription_id == ids[1]), what="the ticket fee"
    )


def _amounts(invoice: dict[str, Any]) -> list[tuple[str, str]]:
    return [(line["kind"], line["amount"]) for line in invoice["lines"]]


async def test_fx_direct_pair_eur_to_sek_rates_a_sek_reseller_from_eur_and_records_its_leg(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe(currency="SEK", country="SE", started_at=utc(2031, 2, 1))
    await world.publish(world.usage(*ids, WORKSTATION, "100", utc(2031, 2, 10)))  # 230 EUR
    await world.wait_counted(1, ids[1])
    await _with_ticket_fee(world, ids, "EUR")  # support's 45 EUR, converted with the same pair

    summary = await world.close(FEB)

    assert not [f for f in summary["failed"] if f["subscription_id"] == ids[1]], summary
    invoice = (await world.invoice(ids[1], FEB))["document"]
    assert (invoice["price_list_currency"], invoice["currency"]) == ("EUR", "SEK")
    leg = {"from": "EUR", "to": "SEK", "rate": "11.2", "rate_table_id": PAIR_TABLE, "effective_from": "2031-01-01"}
    assert invoice["fx"] == {"rate": "11.2", "rate_table_id": PAIR_TABLE, "effective_from": "2031-01-01", "legs": [leg]}
    assert invoice["commitment"] == "10080.00"  # 900 EUR x 11.2
    assert _amounts(invoice) == [
        ("usage", "2576.00"),  # 230.00 EUR x 11.2
        ("commitment_fee", "7504.00"),
        ("support_charge", "504.00"),  # 45.00 EUR x 11.2
    ]


async def test_fx_triangulation_through_the_usd_base_rates_a_chf_reseller_from_jpy_with_both_legs(
    world: BillingWorld,
) -> None:
    ids = await world.subscribe(currency="CHF", country="CH", started_at=utc(2031, 2, 1), ids=(CHF_RESELLER, new_id()))
    await world.publish(world.usage(*ids, WORKSTATION, "100", utc(2031, 2, 10)))  # 37,000 JPY
    await world.wait_counted(1, ids[1])

    summary = await world.close(FEB)

    assert not [f for f in summary["failed"] if f["subscription_id"] == ids[1]], summary
    invoice = (await world.invoice(ids[1], FEB))["document"]
    assert (invoice["price_list_currency"], invoice["currency"]) == ("JPY", "CHF")
    fx = invoice["fx"]
    assert fx["rate"] == format(CHF_PER_JPY, "f")  # equal to the cross rate of the one USD table
    assert [(leg["from"], leg["to"], leg["effective_from"]) for leg in fx["legs"]] == [
        ("JPY", "USD", "2023-12-01"),
        ("USD", "CHF", "2023-12-01"),
    ]
    assert [Decimal(leg["rate"]) for leg in fx["legs"]] == [
        Context(prec=28).divide(Decimal(1), Decimal("141.25")),
        Decimal("0.8412"),
    ]
    assert (fx["rate_table_id"], fx["effective_from"]) == (fx["legs"][-1]["rate_table_id"], "2023-12-01")
    assert invoice["commitment"] == format(round_money(Decimal(150000) * CHF_PER_JPY, "CHF"), "f")
    assert _amounts(invoice)[0] == ("usage", format(round_money(Decimal(37000) * CHF_PER_JPY, "CHF"), "f"))


async def test_fx_base_currency_setting_decides_the_triangulation_and_a_missing_path_refuses_the_invoice(
    world: BillingWorld,
) -> None:
    seeded = await world.client.get("/v1/settings/fx-base-currency/*", headers=headers_for(SUPPORT_AGENT))
    assert (seeded.json()["value"], seeded.json()["recorded_by"]) == ({"currency": "USD"}, "seed:environment")
    for path, value, field in (
        ("fx-base-currency/*", {"currency": "XYZ"}, "currency"),
        ("fx-base-currency/DE", {"currency": "EUR"}, "scope"),
    ):
        refused = await _put(world, path, value, MAR)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert field in refused.text
    reseller_id = new_id()
    await world.set_profile(reseller_id, MAR, currency="CHF", country="CH", price_list_currency="JPY")
    chf = await world.subscribe(currency="CHF", country="CH", started_at=utc(2031, 3, 1), ids=(reseller_id, new_id()))
    sek = await world.subscribe(currency="SEK", country="SE", started_at=utc(2031, 3, 1))
    assert (await _put(world, "fx-base-currency/*", {"currency": "EUR"}, MAR)).status_code == 200

    summary = await world.close(MAR)

    assert {"subscription_id": chf[1], "reason": "no FX rate from JPY to CHF on or before 2031-04-01"} in summary[
        "failed"
    ]
    assert await world.count(InvoiceRow, InvoiceRow.subscription_id == chf[1]) == 0
    sek_invoice = (await world.invoice(sek[1], MAR))["document"]  # the direct pair needs no base
    margins = (
        await world.client.get(
            "/v1/distributor/margins", params={"period": MAR.isoformat()}, headers=headers_for(ADMIN)
        )
    ).json()
    reporting = margins["reporting"]
    assert (reporting["currency"], reporting["rates_on"]) == ("EUR", "2031-04-01")  # the base currency set above
    converted = Decimal(0)
    for total in margins["total"]:
        if total["currency"] == "EUR":
            converted += Decimal(total["revenue"])
            continue
        [rate] = [r for r in reporting["rates"] if r["from_currency"] == total["currency"]] or [None]
        if rate is None:
            assert total["currency"] in {m["from_currency"] for m in reporting["missing_fx_rates"]}
            continue
        exponent = Decimal(1).scaleb(-2)
        converted += (Decimal(total["revenue"]) * Decimal(rate["rate"])).quantize(exponent, rounding=ROUND_HALF_UP)
    assert Decimal(reporting["revenue"]) == converted
    assert reporting["complete"] == (not reporting["missing_fx_rates"])
    assert [leg["from"] + leg["to"] for leg in sek_invoice["fx"]["legs"]] == ["EURSEK"]
