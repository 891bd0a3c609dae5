"""The `bss.usage` consumer: counts each `UsageRecorded` once into the aggregates, and tells any event's fate.

A poll's records arrive raw (no pydantic envelope, no generic inbox: the ledger is this consumer's inbox).
Per batch, in one transaction: the subscriptions are locked (sorted) and every event is checked (those
accepted over HTTP pass again, as the read model only moves forward; one that no longer passes, say a
subscription this billing database never knew, is rejected with its reason rather than lost in a crash loop),
the accepted ones are written to the ledger, and only the ones it had not seen are added to the aggregates:
on PostgreSQL in ONE statement (the ledger insert's RETURNING feeds the aggregate merge, grouped in SQL), on
SQLite in two (the ledger's RETURNING, then a merge in Python). A known id with another payload is a conflict:
counted on its row and answered with a `UsageRejected`; the first version counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.usage_rules import Rejection, billed_in, bucket_day
from billing.models import UsageEventRow, messaging
from billing.read_model import ProductInfo, SubscriptionView
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings
from billing.usage_aggregates import AcceptedUsage, Placement, add_to_aggregates, record_and_count
from billing.usage_ingestion import (
    Incoming,
    check_against,
    decided,
    load_context,
    publish_rejections,
    read_incoming,
)
from billing.usage_ledger import count_conflicts, lookup, record_accepted, record_rejected
from billing.usage_wire import USAGE_TYPE, Usage, decode_envelope, decode_usage_envelope
from bss.calendar_months import period_of
from bss.events.contracts.value_types import Aggregation
from bss.messaging.consumer import Record
from bss.messaging.outbox import BUNDLE_PREFIX, decode_bundle

_CONFLICT = Rejection("conflicting_duplicate", "this id was received before with another payload; the first counts")


def usage_consumer_name(settings: BillingSettings) -> str:
    return "billing.usage" + settings.consumer_group_suffix


async def count_usage_records(
    session: AsyncSession, runtime: BillingRuntime, records: list[Record]
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
    rules = _Rules(views, products)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # ledger and aggregates in one statement
        placements = [rules.placement(item.usage) for item in accepted if item.usage is not None]
        inserted = await record_and_count(session, [decided(item) for item in accepted], placements, now=now)
    else:
        inserted = await record_accepted(session, [decided(item) for item in accepted], now=now)
    refused = [item for item in incoming if item.rejection is not None]
    written = await record_rejected(session, [decided(item) for item in refused], now=now)
    await publish_rejections(session, runtime, [item for item in refused if item.event_id in written], now=now)
    decided_now = inserted | written
    repeats = [item for item in received if first[item.event_id] is not item or item.event_id not in decided_now]
    await _report_conflicts(session, runtime, repeats, now=now)
    if not postgres:
        counted = [item.usage for item in accepted if item.event_id in inserted and item.usage is not None]
        await add_to_aggregates(session, [rules.accepted(usage) for usage in counted])
    return unreadable


async def _report_conflicts(
    session: AsyncSession, runtime: BillingRuntime, repeats: list[Incoming], *, now: datetime
) -> None:
    """Ids the ledger already had: a redelivery changes nothing; another payload is a reported conflict."""
    if not repeats:
        return
    known = await lookup(session, [item.event_id for item in repeats])
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


@dataclass(frozen=True, slots=True)
class Fate:
    """What billing knows of a usage event id (`GET /v1/usage/{event_id}`)."""

    event_id: str
    status: str
    counted: bool
    reason_code: str | None
    detail: str | None
    conflicts: int
    subscription_id: str | None
    sku: str | None
    quantity: Decimal | None
    received_at: datetime


async def usage_fate(session: AsyncSession, event_id: str) -> Fate | None:
    """The ledger's verdict; else an accepted event still on its way to the consumer (in an outbox bundle)."""
    row = await session.get(UsageEventRow, event_id)
    if row is not None:
        counted = row.status == "accepted"
        return Fate(
            row.event_id,
            row.status,
            counted,
            row.reason_code,
            row.detail,
            row.conflicts,
            row.subscription_id,
            row.sku,
            row.quantity,
            row.received_at,
        )
    return await _pending(session, event_id)


async def _pending(session: AsyncSession, event_id: str, chunk: int = 20) -> Fate | None:
    """Search the usage bundles still in the outbox, newest first (they stay there for the relay's retention)."""
    outbox = messaging.outbox
    query = (
        select(outbox.c.seq, outbox.c.payload, outbox.c.created_at)
        .where(outbox.c.event_type == BUNDLE_PREFIX + USAGE_TYPE)
        .order_by(outbox.c.seq.desc())
        .limit(chunk)
    )
    before: int | None = None
    while True:
        rows = (await session.execute(query if before is None else query.where(outbox.c.seq < before))).all()
        for seq, payload, created_at in rows:
            before = seq
            for message in decode_bundle(payload):
                if message.event_id == event_id:
                    usage = read_incoming(event_id, decode_envelope(message.value).data).usage
                    assert usage is not None, "bundled events were valid when accepted"
                    return Fate(
                        event_id, "accepted", False, None, None, 0,
                        usage.subscription_id, usage.sku, usage.quantity, created_at,
                    )  # fmt: skip
        if len(rows) < chunk:
            return None
