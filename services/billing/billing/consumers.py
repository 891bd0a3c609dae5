"""Billing's consumers: which event keeps which read model (catalog, subscriptions, support: the writes are in
`adapters/read_model.py`), and the usage consumer (`usecases/usage_counting.py`).

The runner's inbox makes each event apply once; the writes are still correct out of order across aggregates
(nothing refers to another aggregate's row), and every write is an upsert keyed by the event's own facts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters import read_model
from billing.adapters.usage_store import UsageStore
from billing.runtime import BillingRuntime
from billing.usecases.usage_counting import count_usage_records, record_dead_letter, usage_consumer_name
from bss.events import topics
from bss.events.contracts.catalog import (
    FxRatesPublishedV1,
    PriceBookPublishedV1,
    ProductChangedV1,
    ProductDeactivatedV1,
    ProductPublishedV1,
)
from bss.events.contracts.subscriptions import (
    RampUpGrantedV1,
    ResellerBillingProfileChangedV1,
    ResellerRegisteredV1,
    SubscriptionCancelledV1,
    SubscriptionCreatedV1,
    SubscriptionResumedV1,
    SubscriptionSuspendedV1,
    SubscriptionTierChangedV1,
    TrialConvertedV1,
    TrialExpiredV1,
)
from bss.events.contracts.support import IncidentChargedV1, IncidentCreditedV1, TierOneProgramActivatedV1
from bss.events.envelope import CloudEvent, EventData
from bss.messaging.consumer import ConsumerSpec, Record

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
E = TypeVar("E", bound=EventData)


def _applies(contract: type[E], apply: Callable[[AsyncSession, E], Awaitable[None]]) -> tuple[str, Handler]:
    """The handler of `contract`'s events: their payload, read as the contract, applied to the read model."""

    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        await apply(session, event.payload(contract))

    return contract.event_type, handle


READ_MODEL_HANDLERS: dict[str, Handler] = dict(
    [
        # catalog
        _applies(ProductPublishedV1, read_model.save_product_version),
        _applies(ProductChangedV1, read_model.save_product_version),
        _applies(ProductDeactivatedV1, read_model.deactivate_product),
        _applies(PriceBookPublishedV1, read_model.save_price_book),
        _applies(FxRatesPublishedV1, read_model.save_fx_rates),
        # subscriptions
        _applies(ResellerRegisteredV1, read_model.save_reseller),
        _applies(ResellerBillingProfileChangedV1, read_model.save_billing_profile),
        _applies(SubscriptionCreatedV1, read_model.save_subscription),
        _applies(TrialConvertedV1, read_model.convert_trial),
        _applies(TrialExpiredV1, read_model.expire_trial),
        _applies(SubscriptionTierChangedV1, read_model.save_tier_change),
        _applies(RampUpGrantedV1, read_model.grant_ramp_up),
        _applies(SubscriptionSuspendedV1, read_model.suspend_subscription),
        _applies(SubscriptionResumedV1, read_model.resume_subscription),
        _applies(SubscriptionCancelledV1, read_model.cancel_subscription),
        # support
        _applies(IncidentChargedV1, read_model.add_incident_charge),
        _applies(IncidentCreditedV1, read_model.add_incident_credit),
        _applies(TierOneProgramActivatedV1, read_model.save_tier_one_program),
    ]
)
"""Each event type the read-model consumer takes, and the read-model write (`adapters/read_model.py`) it
applies."""


def billing_consumers(runtime: BillingRuntime, store: UsageStore) -> list[ConsumerSpec]:
    """One consumer for the read models, one for usage (high volume, applied in batches, into `store`)."""

    settings = runtime.settings

    async def usage_records(session: AsyncSession, records: list[Record]) -> list[tuple[Record, str]]:
        return await count_usage_records(session, runtime, store, records)

    async def dead_lettered(record: Record, reason: str) -> None:
        await record_dead_letter(runtime, record, reason)

    usage = ConsumerSpec(
        name=usage_consumer_name(settings),
        topics=(topics.USAGE,),
        record_handlers={topics.USAGE: usage_records},
        dead_lettered=dead_lettered,
    )
    read_models = ConsumerSpec(
        name="billing.read-models" + settings.consumer_group_suffix,
        topics=(topics.CATALOG, topics.SUBSCRIPTIONS, topics.SUPPORT),
        handlers=READ_MODEL_HANDLERS,
    )
    # Several members of one group split the usage partitions (keyed by subscription): their database work
    # overlaps, and each subscription's aggregates are still written by one member at a time.
    return [read_models, *([usage] * settings.usage_consumers)]
