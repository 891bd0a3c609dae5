"""Event handlers: the reseller read model (country, contract signature, contract subscription).

The runner's inbox makes each event apply once. Events of one reseller can arrive out of order across topics
and partitions (a subscription before its reseller): each handler writes only the fields it owns, with an
upsert, so either order gives the same row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bss.db import insert_for
from bss.events import topics
from bss.events.contracts.subscriptions import ResellerRegisteredV1, SubscriptionCreatedV1
from bss.events.envelope import CloudEvent
from bss.messaging.consumer import ConsumerSpec
from support_sla.models import PLACEHOLDER_COUNTRY, Reseller
from support_sla.usecases.charges import publish_pending_charges
from support_sla.usecases.context import Context


def reseller_consumer(ctx: Context) -> ConsumerSpec:
    async def on_registered(session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload(ResellerRegisteredV1)
        values = {
            "legal_name": data.legal_name,
            "country": data.country,
            "signed_on": data.contract_signed_on or data.partner_since,
        }
        await session.execute(
            insert_for(session)(Reseller)
            .values(id=data.reseller_id, certified=False, certified_engineers=0, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )

    async def on_subscription(session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload(SubscriptionCreatedV1)
        await session.execute(
            insert_for(session)(Reseller)
            .values(
                id=data.reseller_id,
                legal_name="(not registered yet)",
                country=PLACEHOLDER_COUNTRY,
                signed_on=date.min,
                subscription_id=data.subscription_id,
                certified=False,
                certified_engineers=0,
            )
            .on_conflict_do_update(index_elements=["id"], set_={"subscription_id": data.subscription_id})
        )
        reseller = await session.get_one(Reseller, data.reseller_id, populate_existing=True)
        await publish_pending_charges(ctx, session, reseller)

    return ConsumerSpec(
        name=ctx.settings.reseller_consumer_group,
        topics=(topics.SUBSCRIPTIONS,),
        handlers={
            ResellerRegisteredV1.event_type: on_registered,
            SubscriptionCreatedV1.event_type: on_subscription,
        },
    )
