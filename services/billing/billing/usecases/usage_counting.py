"""The `bss.usage` consumer: counts each `UsageRecorded` once into the aggregates.

A poll's records arrive raw (no pydantic envelope, no generic inbox: the ledger is this consumer's inbox).
Per batch, in one transaction: the subscriptions are locked (sorted) and every event is checked (those
accepted over HTTP pass again, as the read model only moves forward; one that no longer passes, say a
subscription this billing database never knew, is rejected with its reason rather than lost in a crash loop),
the accepted ones are written to the ledger, and only the ones it had not seen are added to the aggregates
(`adapters/usage_store.py`: on PostgreSQL in ONE statement, on SQLite in two). A known id with another payload
is a conflict: counted on its row and answered with a `UsageRejected`; the first version counts. It runs in
the consumer runner's transaction, which commits it before the Kafka offset.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.read_model import ProductInfo, SubscriptionView
from billing.adapters.usage_aggregates import AcceptedUsage, Placement
from billing.adapters.usage_ledger import count_conflicts, record_rejected
from billing.adapters.usage_store import UsageStore
from billing.adapters.usage_wire import USAGE_TYPE, Usage, decode_usage_envelope
from billing.domain.usage_rules import Rejection, billed_in, bucket_day
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings
from billing.usecases.usage_checks import (
    Incoming,
    check_against,
    decided,
    load_context,
    publish_rejections,
    read_incoming,
)
from bss.calendar_months import period_of
from bss.events.contracts.value_types import Aggregation
from bss.messaging.consumer import Record

_CONFLICT = Rejection("conflicting_duplicate", "this id was received before with another payload; the first counts")


def usage_consumer_name(settings: BillingSettings) -> str:
    return "billing.usage" + settings.consumer_group_suffix


async def count_usage_records(
    session: AsyncSession, runtime: BillingRuntime, store: UsageStore, records: list[Record]
) -> list[tuple[Record, str]]:
    """Count a poll's new usage events once each; returns the records that are not usage envelopes."""
    settings = runtime.settings
    now = runtime.clock.now()
    unreadable: list[tuple[Record, str]] = []
    received: list[Incoming] = []  # in log order
    for record in records:
        try:
            event_id, _source, event_type, data = decode_usage_envelope(record.value or b"")
        except ValueError as exc:
            unreadable.append((record, str(exc)))
            continue
        if event_type == USAGE_TYPE:
            received.append(read_incoming(event_id, data))
    first: dict[str, Incoming] = {}
    for item in received:
        first.setdefault(item.event_id, item)  # within a poll too, the first version counts
    incoming = list(first.values())
    subscription_ids = {item.usage.subscription_id for item in incoming if item.usage is not None}
    views, products = await load_context(session, subscription_ids, lock=True)
    check_against([item for item in incoming if item.usage is not None], views, products, settings, now=now)
    accepted = [item for item in incoming if item.rejection is None]
    inserted = await store.record_and_count(
        session, [decided(item) for item in accepted], _Rules(views, products), now=now
    )
    refused = [item for item in incoming if item.rejection is not None]
    written = await record_rejected(session, [decided(item) for item in refused], now=now)
    await publish_rejections(session, runtime, [item for item in refused if item.event_id in written], now=now)
    decided_now = inserted | written
    repeats = [item for item in received if first[item.event_id] is not item or item.event_id not in decided_now]
    await _report_conflicts(session, runtime, store, repeats, now=now)
    return unreadable


async def _report_conflicts(
    session: AsyncSession, runtime: BillingRuntime, store: UsageStore, repeats: list[Incoming], *, now: datetime
) -> None:
    """Ids the ledger already had: a redelivery changes nothing; another payload is a reported conflict."""
    if not repeats:
        return
    known = await store.lookup(session, [item.event_id for item in repeats])
    conflicts = [
        item
        for item in repeats
        if item.event_id in known
        and known[item.event_id].decided
        and known[item.event_id].fingerprint != item.fingerprint
    ]
    if conflicts:
        await count_conflicts(session, [item.event_id for item in conflicts])
        await publish_rejections(session, runtime, conflicts, now=now, reason=_CONFLICT)


class _Rules:
    """Where each counted event counts, from its subscription and its SKU's aggregation rule; looked up once
    per (subscription, period)."""

    def __init__(self, views: dict[str, SubscriptionView], products: dict[str, ProductInfo]) -> None:
        self._views = views
        self._products = products
        self._known: dict[tuple[str, date], tuple[SubscriptionView, date, dict[str, tuple[str, Aggregation]]]] = {}

    def _lookup(self, usage: Usage, period: date) -> tuple[SubscriptionView, date, dict[str, tuple[str, Aggregation]]]:
        key = (usage.subscription_id, period)
        known = self._known.get(key)
        if known is None:
            view = self._views[usage.subscription_id]
            skus = self._products[view.product_for(period)].skus_on(period)
            known = self._known[key] = (view, billed_in(period, view.row.closed_through), skus)
        return known

    def placement(self, usage: Usage) -> Placement:
        """PostgreSQL's path: the event's reseller, billing period, own period and day bucket."""
        measured_at = usage.measured_at
        period = period_of(measured_at)
        view, billed, skus = self._lookup(usage, period)
        return Placement(view.row.reseller_id, billed, period, bucket_day(skus[usage.sku][1], measured_at))

    def accepted(self, usage: Usage) -> AcceptedUsage:
        """SQLite's path: the event with its rule, merged in Python (`usage_aggregates.add_to_aggregates`)."""
        period = period_of(usage.measured_at)
        view, _, skus = self._lookup(usage, period)
        return AcceptedUsage(
            subscription_id=usage.subscription_id,
            reseller_id=view.row.reseller_id,
            customer_id=usage.customer_id,
            sku=usage.sku,
            rule=skus[usage.sku][1],
            quantity=usage.quantity,
            measured_at=usage.measured_at,
            closed_through=view.row.closed_through,
            period=period,
        )
