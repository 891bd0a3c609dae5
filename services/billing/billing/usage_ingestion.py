"""Usage in: the HTTP batch use case and the `bss.usage` batch handler, with permanent dedup on the event id.

HTTP: each event is checked, then the batch's ledger rows (accepted or rejected) and outbox rows
(`UsageRecorded` to `bss.usage` for the accepted, `UsageRejected` for the refused) commit in one transaction:
an answer says "accepted" only for what is durable. The usage consumer then counts each accepted event once:
events it has never seen (other producers) are checked and recorded; events already in the ledger are counted
if not yet counted; a later event with a known id and another payload is a duplicate, reported as a conflict.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.periods import period_of
from billing.domain.usage_rules import Rejection, SubscriptionFacts, check_usage
from billing.models import UsageEventRow
from billing.read_model import ProductInfo, SubscriptionView, load_products, load_subscriptions, usage_facts
from billing.settings import BillingSettings
from billing.usage_aggregates import AcceptedUsage, add_to_aggregates
from bss.db import insert_for
from bss.events import topics
from bss.events.contracts.billing import UsageRecordedV1, UsageRejectedV1
from bss.events.envelope import CloudEvent, make_event
from bss.service_app import Runtime


@dataclass(frozen=True, slots=True)
class Outcome:
    """The fate of one event of a batch: accepted, duplicate, or rejected with a reason."""

    event_id: str
    status: str
    reason_code: str | None = None
    detail: str | None = None
    field: str | None = None


def fingerprint(data: UsageRecordedV1) -> str:
    """Same id, same fingerprint: a resend; another fingerprint: a conflicting duplicate."""
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


@dataclass
class _Checked:
    event_id: str
    data: UsageRecordedV1 | None
    rejection: Rejection | None
    field: str | None = None
    raw: dict[str, Any] | None = None


async def ingest_usage(
    session: AsyncSession, runtime: Runtime, items: list[tuple[str, dict[str, Any]]], *, now: datetime
) -> list[Outcome]:
    """POST /v1/usage: answer each (event_id, data) and make the accepted and rejected ones durable."""
    settings = runtime.settings
    assert isinstance(settings, BillingSettings)
    parsed: list[_Checked] = [_parse(event_id, raw) for event_id, raw in items]
    valid = [c for c in parsed if c.data is not None]
    views, products = await _context(session, [c.data for c in valid if c.data])
    tolerance = timedelta(seconds=settings.usage_future_tolerance_s)
    facts: dict[tuple[str, date], SubscriptionFacts | None] = {}
    for checked in valid:
        assert checked.data is not None
        checked.rejection = _check(checked.data, views, products, now, tolerance, facts)
    first: dict[str, _Checked] = {}
    for checked in parsed:
        first.setdefault(checked.event_id, checked)  # within a batch too, the first version counts
    # Insert first, read later: only the ids that were already known (the duplicates) are looked up.
    inserted = await _record(session, list(first.values()), now=now, aggregated=False)
    known = await _ledger(session, set(first) - inserted)
    outcomes: list[Outcome] = []
    for checked in parsed:
        original = first[checked.event_id]
        if checked is original and checked.event_id in inserted:
            outcomes.append(_outcome(checked))
        else:
            outcomes.append(_duplicate_outcome(checked, known.get(checked.event_id) or original))
    await _publish(session, runtime, [c for i, c in first.items() if i in inserted], now=now)
    return outcomes


def _parse(event_id: str, raw: dict[str, Any]) -> _Checked:
    try:
        return _Checked(event_id, UsageRecordedV1.model_validate(raw), None, raw=raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        detail = f"{field}: {error['msg']}" if field else str(error["msg"])
        return _Checked(event_id, None, Rejection("invalid_payload", detail), field=field, raw=raw)


def _check(
    data: UsageRecordedV1,
    views: dict[str, SubscriptionView],
    products: dict[str, ProductInfo],
    now: datetime,
    tolerance: timedelta,
    cache: dict[tuple[str, date], SubscriptionFacts | None] | None = None,
) -> Rejection | None:
    key = (data.subscription_id, period_of(data.measured_at))
    if cache is not None and key in cache:
        facts = cache[key]
    else:
        facts = usage_facts(views.get(data.subscription_id), products, key[1])
        if cache is not None:
            cache[key] = facts
    return check_usage(
        facts,
        subscription_id=data.subscription_id,
        reseller_id=data.reseller_id,
        sku=data.sku,
        measured_at=data.measured_at,
        now=now,
        future_tolerance=tolerance,
    )


async def _context(
    session: AsyncSession, events: list[UsageRecordedV1], *, lock: bool = False
) -> tuple[dict[str, SubscriptionView], dict[str, ProductInfo]]:
    return await _context_for(session, {e.subscription_id for e in events}, lock=lock)


async def _context_for(
    session: AsyncSession, subscription_ids: set[str], *, lock: bool = False
) -> tuple[dict[str, SubscriptionView], dict[str, ProductInfo]]:
    views = await load_subscriptions(session, subscription_ids, lock=lock)
    product_ids = {view.row.product_id for view in views.values()}
    product_ids |= {step.product_id for view in views.values() for step in view.schedule}
    return views, await load_products(session, product_ids)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What the ledger knows of an event id (read as plain columns: this is on the hot path)."""

    event_id: str
    fingerprint: str
    status: str
    aggregated: bool
    subscription_id: str | None
    customer_id: str | None
    sku: str | None
    quantity: Decimal | None
    measured_at: datetime | None
    reason_code: str | None


_LEDGER_COLUMNS = [getattr(UsageEventRow, name) for name in LedgerEntry.__slots__]


async def _ledger(session: AsyncSession, event_ids: set[str]) -> dict[str, LedgerEntry]:
    if not event_ids:
        return {}
    query = select(*_LEDGER_COLUMNS).where(UsageEventRow.event_id.in_(sorted(event_ids)))
    return {row[0]: LedgerEntry(*row) for row in await session.execute(query)}


def _fingerprint_of(item: LedgerEntry | _Checked) -> str | None:
    if isinstance(item, LedgerEntry):
        return item.fingerprint
    return fingerprint(item.data) if item.data is not None else None


def _duplicate_outcome(checked: _Checked, previous: LedgerEntry | _Checked) -> Outcome:
    """A known id: the first version decided its fate. A resend of a refused event says why it was refused
    (send it again under a new id once fixed); another payload under a known id is a reported conflict."""
    same = checked.data is not None and _fingerprint_of(previous) == fingerprint(checked.data)
    if not same:
        detail = "this id was received before with another payload; the first version counts"
        return Outcome(checked.event_id, "duplicate", "conflicting_duplicate", detail)
    refused = previous.reason_code if isinstance(previous, LedgerEntry) else None
    if isinstance(previous, _Checked) and previous.rejection is not None:
        refused = previous.rejection.reason_code
    if refused is not None:
        detail = f"this id was received before and rejected ({refused}); resend the corrected event under a new id"
        return Outcome(checked.event_id, "duplicate", refused, detail)
    return Outcome(checked.event_id, "duplicate")


def _outcome(checked: _Checked) -> Outcome:
    if checked.rejection is None:
        return Outcome(checked.event_id, "accepted")
    return Outcome(checked.event_id, "rejected", checked.rejection.reason_code, checked.rejection.detail, checked.field)


async def _record(session: AsyncSession, checked: list[_Checked], *, now: datetime, aggregated: bool) -> set[str]:
    """Insert ledger rows; returns the ids this statement inserted (first writer wins, race-free)."""
    if not checked:
        return set()
    # Sorted by id: concurrent batches sharing ids (resends) take the unique-index locks in one order.
    rows = [_ledger_row(c, now=now, aggregated=aggregated) for c in sorted(checked, key=lambda c: c.event_id)]
    table = UsageEventRow.__table__
    statement = (
        insert_for(session)(table).on_conflict_do_nothing(index_elements=["event_id"]).returning(table.c.event_id)
    )
    # executemany with RETURNING ("insertmanyvalues"): one compiled statement, batched by the driver layer.
    result = await session.execute(statement, rows)
    return set(result.scalars())


def _ledger_row(checked: _Checked, *, now: datetime, aggregated: bool) -> dict[str, Any]:
    data = checked.data
    rejection = checked.rejection
    return {
        "event_id": checked.event_id,
        "fingerprint": fingerprint(data) if data is not None else _raw_fingerprint(checked.raw),
        "status": "accepted" if rejection is None else "rejected",
        "reason_code": rejection.reason_code if rejection else None,
        "detail": rejection.detail[:4000] if rejection else None,
        "subscription_id": data.subscription_id if data else None,
        "sku": data.sku if data else None,
        "customer_id": data.customer_id if data else None,
        "quantity": data.quantity if data else None,
        "measured_at": data.measured_at if data else None,
        "aggregated": aggregated and rejection is None,
        "billed_in": None,
        "conflicts": 0,
        "received_at": now,
    }


def _raw_fingerprint(raw: dict[str, Any] | None) -> str:
    return hashlib.sha256(repr(sorted((raw or {}).items())).encode()).hexdigest()


async def _publish(session: AsyncSession, runtime: Runtime, checked: list[_Checked], *, now: datetime) -> None:
    envelopes: list[tuple[CloudEvent, str, str | None]] = []
    for item in checked:
        if item.rejection is None and item.data is not None:
            event = make_event(item.data, source=runtime.outbox.source, time=now, event_id=item.event_id)
            envelopes.append((event, topics.USAGE, item.data.subscription_id))
        else:
            rejected = _rejected_event(item, now=now)
            envelopes.append((make_event(rejected, source=runtime.outbox.source, time=now), topics.BILLING, None))
    await runtime.outbox.add_envelopes(session, [(e, t, k or e.subject) for e, t, k in envelopes], now=now)


def _rejected_event(item: _Checked, *, now: datetime, reason: Rejection | None = None) -> UsageRejectedV1:
    rejection = reason or item.rejection
    assert rejection is not None
    raw = item.raw or {}
    data = item.data

    def text(name: str) -> str | None:
        value = getattr(data, name, None) if data is not None else raw.get(name)
        return value if isinstance(value, str) and value else None

    return UsageRejectedV1(
        rejected_event_id=item.event_id,
        reason_code=rejection.reason_code,  # type: ignore[arg-type]
        detail=rejection.detail[:4000],
        source=text("source"),
        reseller_id=_uuid_or_none(text("reseller_id")),
        subscription_id=_uuid_or_none(text("subscription_id")),
        sku=(text("sku") or "")[:100] or None,
        rejected_at=now,
    )


def _uuid_or_none(value: str | None) -> str | None:
    from uuid import UUID

    try:
        return str(UUID(value)) if value else None
    except ValueError:
        return None


# --- the bss.usage consumer -------------------------------------------------------------------------------


async def apply_usage_batch(session: AsyncSession, runtime: Runtime, events: list[CloudEvent]) -> None:
    """Count the new UsageRecorded events of a poll batch once each (the inbox passed only unseen ids)."""
    settings = runtime.settings
    assert isinstance(settings, BillingSettings)
    now = runtime.clock.now()
    known = await _ledger(session, {event.id for event in events})
    own: list[LedgerEntry] = []  # our own HTTP-accepted events, relayed back: the ledger row has it all
    others: list[CloudEvent] = []
    for event in events:
        row = known.get(event.id)
        if row is not None and event.source == runtime.outbox.source and row.status == "accepted":
            if not row.aggregated:
                own.append(row)
        else:
            others.append(event)
    checked = [_parse(event.id, event.data) for event in others]
    new: list[_Checked] = []
    conflicts: list[_Checked] = []
    to_count: list[UsageFields] = []
    for item in checked:
        previous = known.get(item.event_id)
        if previous is None:
            new.append(item)
        elif item.data is None or previous.fingerprint != fingerprint(item.data):
            conflicts.append(item)  # the same id with another payload: the first version counts
        elif previous.status == "accepted" and not previous.aggregated:
            to_count.append(_fields(item.data))  # accepted over HTTP, relayed by another producer's copy
    subscription_ids = {c.data.subscription_id for c in checked if c.data} | {r.subscription_id or "" for r in own}
    views, products = await _context_for(session, subscription_ids, lock=True)
    tolerance = timedelta(seconds=settings.usage_future_tolerance_s)
    facts: dict[tuple[str, date], SubscriptionFacts | None] = {}
    for item in new:
        if item.data is not None:
            item.rejection = _check(item.data, views, products, now, tolerance, facts)
    inserted = await _record(session, new, now=now, aggregated=True)
    to_count += [_fields(c.data) for c in new if c.event_id in inserted and c.rejection is None and c.data]
    to_count += [(r.subscription_id, r.customer_id, r.sku, r.quantity, r.measured_at) for r in own]  # type: ignore[misc]
    await _publish(session, runtime, [c for c in new if c.event_id in inserted and c.rejection is not None], now=now)
    await _report_conflicts(session, runtime, conflicts, now=now)
    # HTTP-ingested events keep `aggregated` false in the ledger: the usage consumer's inbox row says they
    # were counted (one write per event saved on the hot path); `usage_fate` reads both.
    await add_to_aggregates(session, [_accepted(fields, views, products) for fields in to_count])


UsageFields = tuple[str, str, str, Decimal, datetime]  # subscription, customer, sku, quantity, measured_at


def _fields(data: UsageRecordedV1) -> UsageFields:
    return (data.subscription_id, data.customer_id, data.sku, data.quantity, data.measured_at)


def _accepted(
    fields: UsageFields, views: dict[str, SubscriptionView], products: dict[str, ProductInfo]
) -> AcceptedUsage:
    subscription_id, customer_id, sku, quantity, measured_at = fields
    view = views[subscription_id]
    period = period_of(measured_at)
    _name, rule = products[view.product_for(period)].skus_on(period)[sku]
    return AcceptedUsage(
        subscription_id=subscription_id,
        reseller_id=view.row.reseller_id,
        customer_id=customer_id,
        sku=sku,
        rule=rule,
        quantity=quantity,
        measured_at=measured_at,
        closed_through=view.row.closed_through,
    )


async def _report_conflicts(
    session: AsyncSession, runtime: Runtime, conflicts: list[_Checked], *, now: datetime
) -> None:
    if not conflicts:
        return
    for item in conflicts:
        await session.execute(
            update(UsageEventRow)
            .where(UsageEventRow.event_id == item.event_id)
            .values(conflicts=UsageEventRow.conflicts + 1)
        )
    reason = Rejection("conflicting_duplicate", "this id was received before with another payload; the first counts")
    envelopes = [
        (make_event(_rejected_event(c, now=now, reason=reason), source=runtime.outbox.source, time=now), topics.BILLING)
        for c in conflicts
    ]
    await runtime.outbox.add_envelopes(session, [(e, t, e.subject) for e, t in envelopes], now=now)


def usage_consumer_name(settings: BillingSettings) -> str:
    return "billing.usage" + settings.consumer_group_suffix


async def usage_fate(session: AsyncSession, runtime: Runtime, event_id: str) -> tuple[UsageEventRow, bool] | None:
    """GET /v1/usage/{event_id}: the ledger row (accepted or rejected with why) and whether it is counted."""
    row = await session.get(UsageEventRow, event_id)
    if row is None:
        return None
    settings = runtime.settings
    assert isinstance(settings, BillingSettings)
    counted = row.status == "accepted" and (
        row.aggregated or await runtime.inbox.seen(session, usage_consumer_name(settings), event_id)
    )
    return row, counted


def period_label(value: date | None) -> str | None:
    return value.isoformat() if value else None
