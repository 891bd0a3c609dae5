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
from billing.adapters.usage_ledger import Decided, LedgerEntry, count_conflicts, record_rejected
from billing.adapters.usage_store import UsageStore
from billing.adapters.usage_wire import (
    USAGE_TYPE,
    Usage,
    decode_usage_envelope,
    event_key,
    fingerprint_of,
    read_event_id,
)
from billing.domain.usage_rules import DEAD_LETTERED, Rejection, billed_in, bucket_day, keeps_days
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
    first: dict[str, Incoming] = {}  # by event key, in log order
    repeats: list[Incoming] = []
    for record in records:
        try:
            event_id, _source, event_type, data = decode_usage_envelope(record.value or b"")
        except ValueError as exc:
            unreadable.append((record, str(exc)))
            continue
        if event_type == USAGE_TYPE:
            item = read_incoming(event_id, data)
            if item.event_key in first:
                repeats.append(item)  # within a poll too, the first version counts
            else:
                first[item.event_key] = item
    incoming = list(first.values())
    valid = [item for item in incoming if item.usage is not None]
    views, products = await load_context(session, {item.usage.subscription_id for item in valid}, lock=True)  # type: ignore[union-attr]
    check_against(valid, views, products, settings, now=now)
    accepted = [item for item in valid if item.rejection is None]
    already = await store.record_and_count(
        session,
        [item.event_key for item in accepted],
        [item.fingerprint for item in accepted],
        [item.usage for item in accepted],  # type: ignore[misc]
        _Rules(views, products),
        now=now,
    )
    refused = [item for item in incoming if item.rejection is not None]
    written = await record_rejected(session, [decided(item) for item in refused], now=now)
    await publish_rejections(session, runtime, [item for item in refused if item.event_key in written], now=now)
    repeats += [item for item in accepted if item.event_key in already]
    repeats += [item for item in refused if item.event_key not in written]
    if repeats:
        known = _entries_at_hand(already, [i for i in accepted if i.event_key not in already], refused, written)
        await _report_conflicts(session, runtime, store, repeats, known, now=now)
    return unreadable


async def record_dead_letter(runtime: BillingRuntime, record: Record, reason: str) -> None:
    """A `bss.usage` record went to the dead-letter topic: if its envelope names an event id, the ledger says so
    (`GET /v1/usage/{id}` answers "dead_lettered" with the reason), unless that id is decided already. Not a
    verdict on the event: a readable copy under the same id is judged afresh (ADR 0022)."""
    value = record.value or b""
    event_id = read_event_id(value)
    if event_id is None:
        return  # no id to tell the fate of: the letter's headers identify the record (ADR 0013)
    letter = Decided(event_id, event_key(event_id), fingerprint_of(value), None, DEAD_LETTERED, reason)
    async with runtime.sessions() as session, session.begin():
        await record_rejected(session, [letter], now=runtime.clock.now())


def _entries_at_hand(
    already: dict[str, LedgerEntry | None], counted: list[Incoming], refused: list[Incoming], written: set[str]
) -> dict[str, LedgerEntry]:
    """What the ledger holds for the keys this batch touched, without asking it: the entries the counting
    statement saw, and the first copies this batch wrote (counted, or refused with their reasons)."""
    known = {key: entry for key, entry in already.items() if entry is not None}
    for item in counted:
        known[item.event_key] = LedgerEntry(item.event_key, item.fingerprint, None)
    for item in refused:
        if item.event_key in written and item.rejection is not None:
            known[item.event_key] = LedgerEntry(item.event_key, item.fingerprint, item.rejection.reason_code)
    return known


async def _report_conflicts(
    session: AsyncSession,
    runtime: BillingRuntime,
    store: UsageStore,
    repeats: list[Incoming],
    known: dict[str, LedgerEntry],
    *,
    now: datetime,
) -> None:
    """Ids the ledger already had: a redelivery changes nothing; another payload is a reported conflict. `known`
    holds the entries at hand; the others are looked up."""
    unknown = {item.event_key for item in repeats if item.event_key not in known}
    if unknown:
        known = {**known, **await store.lookup(session, unknown)}
    conflicts = [
        item
        for item in repeats
        if item.event_key in known
        and known[item.event_key].decided
        and known[item.event_key].fingerprint != item.fingerprint
    ]
    if conflicts:
        await count_conflicts(session, [item.event_key for item in conflicts])
        await publish_rejections(session, runtime, conflicts, now=now, reason=_CONFLICT)


class _Rules:
    """Where each counted event counts, from its subscription and its SKU's aggregation rule; looked up once
    per (subscription, period)."""

    def __init__(self, views: dict[str, SubscriptionView], products: dict[str, ProductInfo]) -> None:
        self._views = views
        self._products = products
        self._known: dict[tuple[str, date], tuple[SubscriptionView, date, dict[str, tuple[str, Aggregation]]]] = {}
        self._placed: dict[tuple[str, int, int], tuple[Placement, dict[str, tuple[str, Aggregation]]]] = {}

    def _lookup(self, usage: Usage, period: date) -> tuple[SubscriptionView, date, dict[str, tuple[str, Aggregation]]]:
        key = (usage.subscription_id, period)
        known = self._known.get(key)
        if known is None:
            view = self._views[usage.subscription_id]
            skus = self._products[view.product_for(period)].skus_on(period)
            known = self._known[key] = (view, billed_in(period, view.row.closed_through), skus)
        return known

    def placement(self, usage: Usage) -> Placement:
        """PostgreSQL's path: the event's reseller, billing period, own period and day bucket (found once per
        subscription and period: the bucket of a rule that keeps no days is the period itself)."""
        measured_at = usage.measured_at  # in UTC (`usage_wire.settle`)
        key = (usage.subscription_id, measured_at.year, measured_at.month)
        placed = self._placed.get(key)
        if placed is None:
            period = period_of(measured_at)
            view, billed, skus = self._lookup(usage, period)
            placed = self._placed[key] = (Placement(view.row.reseller_id, billed, period, period), skus)
        placement, skus = placed
        rule = skus[usage.sku][1]
        return placement._replace(day=bucket_day(rule, measured_at)) if keeps_days(rule) else placement

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
