"""Event handlers: the reseller read model (country, contract signature, contract subscription).

The runner's inbox makes each event apply once. Events of one reseller can arrive out of order across topics
and partitions (a subscription before its reseller): each handler writes only the fields it owns, with an
upsert, so either order gives the same row.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bss.events import topics
from bss.events.contracts.subscriptions import ResellerRegisteredV1, SubscriptionCreatedV1
from bss.events.envelope import CloudEvent
from bss.messaging.consumer import ConsumerSpec
from bss.usecase import UseCase
from support_sla.adapters.resellers import upsert_contract_subscription, upsert_registration
from support_sla.runtime import SupportRuntime
from support_sla.usecases.charges import publish_pending_charges

CONSUMER = "reseller_consumer"


def reseller_consumer(runtime: SupportRuntime) -> ConsumerSpec:
    async def on_registered(session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload(ResellerRegisteredV1)
        signed_on = data.contract_signed_on or data.partner_since
        await upsert_registration(session, data.reseller_id, data.legal_name, data.country, signed_on)

    async def on_subscription(session: AsyncSession, event: CloudEvent) -> None:
        data = event.payload(SubscriptionCreatedV1)
        reseller = await upsert_contract_subscription(session, data.reseller_id, data.subscription_id)
        await publish_pending_charges(UseCase.system(runtime, CONSUMER), session, reseller)

    return ConsumerSpec(
        name=runtime.settings.reseller_consumer_group,
        topics=(topics.SUBSCRIPTIONS,),
        handlers={
            ResellerRegisteredV1.event_type: on_registered,
            SubscriptionCreatedV1.event_type: on_subscription,
        },
    )
