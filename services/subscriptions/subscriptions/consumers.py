"""The catalog read model, built only from catalog events (`bss.catalog`); no call to the catalog service.

Every definition is kept by effective date. A version received twice, or an older event arriving after a newer
one for the same product and date, changes nothing: the event with the later envelope time wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bss.events.contracts.catalog import (
    FxRatesPublishedV1,
    ProductChangedV1,
    ProductDeactivatedV1,
    ProductPublishedV1,
)
from bss.events.envelope import CloudEvent
from bss.messaging.consumer import ConsumerSpec
from subscriptions.adapters.catalog_read_model import upsert_latest
from subscriptions.models import CatalogDeactivation, CatalogFxPair, CatalogFxRate, CatalogProductVersion
from subscriptions.runtime import SubscriptionsRuntime


async def on_product_definition(session: AsyncSession, event: CloudEvent) -> None:
    """ProductPublished and ProductChanged both carry a whole definition from `effective_from`."""
    contract = ProductPublishedV1 if event.type == ProductPublishedV1.event_type else ProductChangedV1
    data = event.payload(contract)
    restriction = data.new_partner_restriction
    await upsert_latest(
        session,
        CatalogProductVersion,
        ("product_id", "effective_from"),
        {
            "product_id": data.product_id,
            "effective_from": data.effective_from,
            "code": data.code,
            "name": data.name,
            "tier": data.tier,
            "commitments": {c.currency: str(c.amount) for c in data.commitments},
            "upgrade_product_ids": list(data.upgrade_product_ids),
            "exclusion_set": data.exclusion_set,
            "orderable_before": data.orderable_before,
            "restricted_countries": list(restriction.countries) if restriction else [],
            "restricted_partners_since": restriction.partners_since if restriction else None,
            "event_time": event.time,
        },
    )


async def on_product_deactivated(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload(ProductDeactivatedV1)
    await upsert_latest(
        session,
        CatalogDeactivation,
        ("product_id",),
        {"product_id": data.product_id, "effective_from": data.effective_from, "event_time": event.time},
    )


async def on_fx_rates(session: AsyncSession, event: CloudEvent) -> None:
    """The per-USD rates (`rates`) and the rates of other pairs (`pairs`), each kept by effective date."""
    data = event.payload(FxRatesPublishedV1)
    for rate in data.rates:
        await upsert_latest(
            session,
            CatalogFxRate,
            ("currency", "effective_from"),
            {
                "currency": rate.currency,
                "effective_from": data.effective_from,
                "units_per_usd": rate.units_per_usd,
                "event_time": event.time,
            },
        )
    for pair in data.pairs:
        await upsert_latest(
            session,
            CatalogFxPair,
            ("base", "quote", "effective_from"),
            {
                "base": pair.base,
                "quote": pair.quote,
                "effective_from": data.effective_from,
                "rate": pair.rate,
                "event_time": event.time,
            },
        )


def consumers(runtime: SubscriptionsRuntime) -> Sequence[ConsumerSpec]:
    settings = runtime.settings
    return [
        ConsumerSpec(
            name=settings.catalog_consumer_group,
            topics=(settings.catalog_topic,),
            handlers={
                ProductPublishedV1.event_type: on_product_definition,
                ProductChangedV1.event_type: on_product_definition,
                ProductDeactivatedV1.event_type: on_product_deactivated,
                FxRatesPublishedV1.event_type: on_fx_rates,
            },
        )
    ]
