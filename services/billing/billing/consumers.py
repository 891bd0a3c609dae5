"""Event handlers that keep billing's read models: catalog, subscriptions and support, and usage.

The runner's inbox makes each event apply once; the handlers are still correct out of order across aggregates
(nothing refers to another aggregate's row), and every write is an upsert keyed by the event's own facts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.usage_store import UsageStore
from billing.domain.usage_rules import billed_in
from billing.models import (
    FxRateRow,
    PriceAdjustmentRow,
    PriceRow,
    ProductVersionRow,
    ResellerRow,
    SubscriptionRow,
    SupportItemRow,
    TierChangeRow,
    TierOneProgramRow,
)
from billing.runtime import BillingRuntime
from billing.usecases.usage_counting import count_usage_records, usage_consumer_name
from bss.calendar_months import period_of
from bss.db import insert_for
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
from bss.events.envelope import CloudEvent
from bss.messaging.consumer import ConsumerSpec, Record

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


async def _upsert(session: AsyncSession, model: Any, values: dict[str, Any], keys: Sequence[str]) -> None:
    insert = insert_for(session)(model).values(**values)
    changes = {name: insert.excluded[name] for name in values if name not in keys}
    await session.execute(insert.on_conflict_do_update(index_elements=list(keys), set_=changes))


# --- catalog ----------------------------------------------------------------------------------------------


async def on_product_defined(session: AsyncSession, event: CloudEvent) -> None:
    contract = ProductPublishedV1 if event.type == ProductPublishedV1.event_type else ProductChangedV1
    product = event.payload(contract)
    values = {
        "product_id": product.product_id,
        "effective_from": product.effective_from,
        "name": product.name,
        "tier": product.tier,
        "previous_name": getattr(product, "previous_name", None),
        "previous_tier": getattr(product, "previous_tier", None),
        "commitments": {c.currency: format(c.amount, "f") for c in product.commitments},
        "usage_skus": [sku.model_dump(mode="json") for sku in product.usage_skus],
        "deactivated_from": None,
    }
    await _upsert(session, ProductVersionRow, values, ("product_id", "effective_from"))


async def on_product_deactivated(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload(ProductDeactivatedV1)
    await session.execute(
        update(ProductVersionRow)
        .where(ProductVersionRow.product_id == data.product_id)
        .values(deactivated_from=data.effective_from)
    )


async def on_price_book_published(session: AsyncSession, event: CloudEvent) -> None:
    book = event.payload(PriceBookPublishedV1)
    for entry in book.entries:
        values = {
            "price_book_id": book.price_book_id,
            "product_id": entry.product_id,
            "sku": entry.sku,
            "currency": entry.currency,
            "effective_from": book.effective_from,
            "reseller_id": book.reseller_id,
            "unit_price": entry.unit_price,
        }
        await _upsert(session, PriceRow, values, ("price_book_id", "product_id", "sku", "currency", "effective_from"))
    if book.kind == "reseller_custom" and book.reseller_id is not None and book.batch_number == 1:
        adjustment = book.adjustment
        values = {
            "price_book_id": book.price_book_id,
            "effective_from": book.effective_from,
            "reseller_id": book.reseller_id,
            "kind": adjustment.kind if adjustment else None,
            "percent": adjustment.percent if adjustment else 0,
        }
        await _upsert(session, PriceAdjustmentRow, values, ("price_book_id", "effective_from"))


async def on_fx_rates_published(session: AsyncSession, event: CloudEvent) -> None:
    table = event.payload(FxRatesPublishedV1)
    for rate in table.rates:
        values = {
            "rate_table_id": table.rate_table_id,
            "effective_from": table.effective_from,
            "currency": rate.currency,
            "units_per_usd": rate.units_per_usd,
        }
        await _upsert(session, FxRateRow, values, ("rate_table_id", "effective_from", "currency"))


# --- subscriptions ----------------------------------------------------------------------------------------


async def on_reseller_registered(session: AsyncSession, event: CloudEvent) -> None:
    reseller = event.payload(ResellerRegisteredV1)
    values = {
        "reseller_id": reseller.reseller_id,
        "legal_name": reseller.legal_name,
        "country": reseller.country,
        "billing_currency": reseller.billing_currency,
        "billing_email": reseller.billing_email,
        "tax_id": reseller.tax_id,
    }
    await _upsert(session, ResellerRow, values, ("reseller_id",))


async def on_subscription_created(session: AsyncSession, event: CloudEvent) -> None:
    created = event.payload(SubscriptionCreatedV1)
    values = {
        "subscription_id": created.subscription_id,
        "reseller_id": created.reseller_id,
        "product_id": created.product_id,
        "status": "trial" if created.kind == "trial" else "active",
        "billing_currency": created.billing_currency,
        "started_at": created.started_at,
        "paid_from": created.started_at if created.kind == "paid" else None,
    }
    insert = insert_for(session)(SubscriptionRow).values(**values, ramp_up_cycles=0)
    # A ramp-up granted before (same key, so only on a replay) keeps its cycles: update the facts only.
    changes = {name: insert.excluded[name] for name in values if name != "subscription_id"}
    await session.execute(insert.on_conflict_do_update(index_elements=["subscription_id"], set_=changes))


async def _set(session: AsyncSession, subscription_id: str, **values: Any) -> None:
    await session.execute(
        update(SubscriptionRow).where(SubscriptionRow.subscription_id == subscription_id).values(**values)
    )


async def on_trial_converted(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload(TrialConvertedV1)
    window: dict[str, Any] = {}
    if data.ramp_up_first_period is not None:  # the ramp-up window, fixed by the conversion
        window = {"ramp_up_first_period": data.ramp_up_first_period, "ramp_up_last_period": data.ramp_up_last_period}
    await _set(
        session,
        data.subscription_id,
        status="active",
        paid_from=data.converted_at,
        product_id=data.product_id,
        **window,
    )


async def on_trial_expired(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload(TrialExpiredV1)
    await _set(session, data.subscription_id, status="expired", ends_at=data.expired_at)


async def on_tier_changed(session: AsyncSession, event: CloudEvent) -> None:
    change = event.payload(SubscriptionTierChangedV1)
    # The change replaces any received before it with the same or a later effective date (contract rule).
    await session.execute(
        delete(TierChangeRow).where(
            TierChangeRow.subscription_id == change.subscription_id,
            TierChangeRow.effective_from >= change.effective_from,
        )
    )
    session.add(
        TierChangeRow(
            subscription_id=change.subscription_id,
            effective_from=change.effective_from,
            to_product_id=change.to_product_id,
            requested_at=change.requested_at,
        )
    )
    await session.flush()


async def on_ramp_up_granted(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the waived periods as subscriptions decided them. A trial's window comes with its conversion; an
    event from before the window was carried leaves it empty, and billing counts `cycles` from the month the
    subscription became paid (`waived_periods`)."""
    data = event.payload(RampUpGrantedV1)
    window: dict[str, Any] = {}
    if data.last_period is not None:
        window = {"ramp_up_first_period": data.first_period, "ramp_up_last_period": data.last_period}
    await _set(session, data.subscription_id, ramp_up_cycles=data.cycles, **window)


async def on_suspended(session: AsyncSession, event: CloudEvent) -> None:
    await _set(session, event.payload(SubscriptionSuspendedV1).subscription_id, status="suspended")


async def on_resumed(session: AsyncSession, event: CloudEvent) -> None:
    await _set(session, event.payload(SubscriptionResumedV1).subscription_id, status="active")


async def on_cancelled(session: AsyncSession, event: CloudEvent) -> None:
    data = event.payload(SubscriptionCancelledV1)
    await _set(
        session,
        data.subscription_id,
        status="cancelled",
        ends_at=data.effective_at,
        last_billed_period=data.last_billed_period,
    )


# --- support ----------------------------------------------------------------------------------------------


async def on_incident_charged(session: AsyncSession, event: CloudEvent) -> None:
    charge = event.payload(IncidentChargedV1)
    values = {
        "item_id": charge.charge_id,
        "subscription_id": charge.subscription_id,
        "kind": "support_charge",
        "description": charge.description,
        "amount": charge.amount,
        "currency": charge.currency,
        "period": period_of(charge.charged_at),
        "ticket_id": charge.ticket_id,
    }
    await _add_support_item(session, values)


async def on_incident_credited(session: AsyncSession, event: CloudEvent) -> None:
    credit = event.payload(IncidentCreditedV1)
    if credit.amount is None or credit.currency is None:
        return  # a quota credit returns incidents, not money
    values = {
        "item_id": credit.credit_id,
        "subscription_id": credit.subscription_id,
        "kind": "support_credit",
        "description": credit.reason,
        "amount": credit.amount,
        "currency": credit.currency,
        "period": period_of(credit.credited_at),
        "ticket_id": credit.ticket_id,
    }
    await _add_support_item(session, values)


async def _add_support_item(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record a charge or credit on the invoice of its month, or, if that month is invoiced already, on the
    next open one (Billing conventions: late items are adjustments, never lost). The subscription's row is
    locked on PostgreSQL, as the usage consumer does, so a month close cannot slip in between (SQLAlchemy renders
    no FOR UPDATE on SQLite, whose one writer at a time needs none)."""
    query = select(SubscriptionRow.closed_through).where(SubscriptionRow.subscription_id == values["subscription_id"])
    query = query.with_for_update()
    closed_through = (await session.execute(query)).scalar_one_or_none()
    values = {**values, "billed_in": billed_in(values["period"], closed_through)}
    insert = insert_for(session)(SupportItemRow).values(**values)
    changes = {name: insert.excluded[name] for name in values if name not in ("item_id", "billed_in")}
    await session.execute(insert.on_conflict_do_update(index_elements=["item_id"], set_=changes))


async def on_tier_one_program_activated(session: AsyncSession, event: CloudEvent) -> None:
    program = event.payload(TierOneProgramActivatedV1)
    values = {
        "program_id": program.program_id,
        "discount_percent": program.discount_percent,
        "effective_from": program.effective_from,
    }
    await _upsert(session, TierOneProgramRow, values, ("program_id",))


READ_MODEL_HANDLERS: dict[str, Handler] = {
    ProductPublishedV1.event_type: on_product_defined,
    ProductChangedV1.event_type: on_product_defined,
    ProductDeactivatedV1.event_type: on_product_deactivated,
    PriceBookPublishedV1.event_type: on_price_book_published,
    FxRatesPublishedV1.event_type: on_fx_rates_published,
    ResellerRegisteredV1.event_type: on_reseller_registered,
    SubscriptionCreatedV1.event_type: on_subscription_created,
    TrialConvertedV1.event_type: on_trial_converted,
    TrialExpiredV1.event_type: on_trial_expired,
    SubscriptionTierChangedV1.event_type: on_tier_changed,
    RampUpGrantedV1.event_type: on_ramp_up_granted,
    SubscriptionSuspendedV1.event_type: on_suspended,
    SubscriptionResumedV1.event_type: on_resumed,
    SubscriptionCancelledV1.event_type: on_cancelled,
    IncidentChargedV1.event_type: on_incident_charged,
    IncidentCreditedV1.event_type: on_incident_credited,
    TierOneProgramActivatedV1.event_type: on_tier_one_program_activated,
}


def billing_consumers(runtime: BillingRuntime, store: UsageStore) -> list[ConsumerSpec]:
    """One consumer for the read models, one for usage (high volume, applied in batches, into `store`)."""

    settings = runtime.settings

    async def usage_records(session: AsyncSession, records: list[Record]) -> list[tuple[Record, str]]:
        return await count_usage_records(session, runtime, store, records)

    usage = ConsumerSpec(
        name=usage_consumer_name(settings),
        topics=(topics.USAGE,),
        record_handlers={topics.USAGE: usage_records},
    )
    read_models = ConsumerSpec(
        name="billing.read-models" + settings.consumer_group_suffix,
        topics=(topics.CATALOG, topics.SUBSCRIPTIONS, topics.SUPPORT),
        handlers=READ_MODEL_HANDLERS,
    )
    # Several members of one group split the usage partitions (keyed by subscription): their database work
    # overlaps, and each subscription's aggregates are still written by one member at a time.
    return [read_models, *([usage] * settings.usage_consumers)]
