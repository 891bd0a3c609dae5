"""Usage in over HTTP: every event of a batch answered, the accepted ones durable before the answer.

Each event is read (`usage_wire`) and checked against billing's read model. Then, in one transaction: the
accepted events go into ONE outbox bundle (their `UsageRecorded` envelopes, bound for `bss.usage`), and the
rejected ones into the ledger, each with a `UsageRejected`. An answer says "accepted" only once that commit
is durable; the relay then publishes the bundle, and the usage consumer counts each event once, writing its
ledger row (`usage_counting`).

Ids the ledger has already decided are answered "duplicate" with the first fate and not sent again (one
index lookup per event; `BILLING_USAGE_DUPLICATE_CHECK=false` trades that answer for throughput). An id whose
first copy is still on its way to the consumer is accepted again and counted once. An `unknown_subscription`
refusal is not final: the subscription may not have reached billing yet, so a resend is judged afresh.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.usage_rules import Rejection, SubscriptionFacts, check_usage
from billing.read_model import ProductInfo, SubscriptionView, load_products, load_subscriptions, usage_facts
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings
from billing.usage_ledger import Decided, LedgerEntry, lookup, record_rejected
from billing.usage_wire import USAGE_TYPE, InvalidUsage, Usage, encode_envelope, instant_text, read_usage
from bss.calendar_months import period_of
from bss.events import topics
from bss.events.contracts.billing import UsageRejectedV1
from bss.events.envelope import make_event
from bss.messaging.outbox import BundledMessage


@dataclass(frozen=True, slots=True)
class Outcome:
    """The fate of one event of a batch: accepted, duplicate, or rejected with a reason."""

    event_id: str
    status: str
    reason_code: str | None = None
    detail: str | None = None
    field: str | None = None


@dataclass(slots=True)
class Incoming:
    """One event as received: its usage if valid, else (or if refused) the rejection and the field at fault."""

    event_id: str
    raw: object
    usage: Usage | None
    known_fingerprint: str | None  # of an invalid payload; a valid one's is computed when first needed
    rejection: Rejection | None = None
    field: str | None = None

    @property
    def fingerprint(self) -> str:
        if self.known_fingerprint is None:
            assert self.usage is not None
            self.known_fingerprint = self.usage.fingerprint()
        return self.known_fingerprint


def read_incoming(event_id: str, raw: object) -> Incoming:
    try:
        usage = read_usage(raw)
    except InvalidUsage as exc:
        raw = msgspec.to_builtins(raw) if isinstance(raw, Usage) else raw
        fingerprint = hashlib.blake2b(repr(raw).encode(), digest_size=16).hexdigest()
        return Incoming(event_id, raw, None, fingerprint, Rejection(exc.reason_code, exc.detail), exc.field)
    return Incoming(event_id, raw, usage, None)


async def ingest_usage(
    session: AsyncSession, runtime: BillingRuntime, items: list[tuple[str, object]], *, now: datetime
) -> list[Outcome]:
    """POST /v1/usage: answer each (event_id, data); make the accepted and the rejected ones durable."""
    settings = runtime.settings
    received = [read_incoming(event_id, raw) for event_id, raw in items]
    valid = [item for item in received if item.usage is not None]
    views, products = await load_context(session, {i.usage.subscription_id for i in valid if i.usage}, lock=False)
    check_against(valid, views, products, settings, now=now)
    first: dict[str, Incoming] = {}
    for item in received:
        first.setdefault(item.event_id, item)  # within a batch too, the first version counts
    decided_before = await lookup(session, first) if settings.usage_duplicate_check else {}
    known = {event_id: entry for event_id, entry in decided_before.items() if entry.decided}
    new = [item for event_id, item in first.items() if event_id not in known]
    refused = [item for item in new if item.rejection is not None]
    written = await record_rejected(session, [decided(item) for item in refused], now=now)
    await publish_rejections(session, runtime, [i for i in refused if i.event_id in written], now=now)
    accepted = [item for item in new if item.rejection is None]
    await _publish_accepted(session, runtime, accepted, now=now)
    answered = {item.event_id for item in accepted} | written
    outcomes: list[Outcome] = []
    for item in received:
        if item is first[item.event_id] and item.event_id in answered:
            outcomes.append(_outcome(item))
        else:
            outcomes.append(_duplicate_outcome(item, known.get(item.event_id) or first[item.event_id]))
    return outcomes


def check_against(
    items: list[Incoming],
    views: dict[str, SubscriptionView],
    products: dict[str, ProductInfo],
    settings: BillingSettings,
    *,
    now: datetime,
) -> None:
    """Check each valid event against the read model; a refused one gets its rejection."""
    tolerance = timedelta(seconds=settings.usage_future_tolerance_s)
    facts: dict[tuple[str, date], SubscriptionFacts | None] = {}
    for item in items:
        usage = item.usage
        assert usage is not None
        key = (usage.subscription_id, period_of(usage.measured_at))
        if key not in facts:
            facts[key] = usage_facts(views.get(usage.subscription_id), products, key[1])
        item.rejection = check_usage(
            facts[key],
            subscription_id=usage.subscription_id,
            reseller_id=usage.reseller_id,
            sku=usage.sku,
            measured_at=usage.measured_at,
            now=now,
            future_tolerance=tolerance,
        )


async def load_context(
    session: AsyncSession, subscription_ids: set[str], *, lock: bool
) -> tuple[dict[str, SubscriptionView], dict[str, ProductInfo]]:
    """The subscriptions (locked on PostgreSQL if asked, in sorted order) and their products."""
    views = await load_subscriptions(session, subscription_ids, lock=lock)
    product_ids = {view.row.product_id for view in views.values()}
    product_ids |= {step.product_id for view in views.values() for step in view.schedule}
    return views, await load_products(session, product_ids)


def decided(item: Incoming) -> Decided:
    rejection = item.rejection
    return Decided(
        item.event_id,
        item.fingerprint,
        item.usage,
        rejection.reason_code if rejection else None,
        rejection.detail if rejection else None,
    )


async def _publish_accepted(
    session: AsyncSession, runtime: BillingRuntime, items: list[Incoming], *, now: datetime
) -> None:
    source, time_text = runtime.outbox.source, instant_text(now)
    messages = [
        BundledMessage(
            item.event_id,
            item.usage.subscription_id,
            encode_envelope(item.event_id, item.usage, source=source, time_text=time_text),
        )
        for item in items
        if item.usage is not None
    ]
    await runtime.outbox.add_bundle(session, topic=topics.USAGE, event_type=USAGE_TYPE, messages=messages, now=now)


def _duplicate_outcome(item: Incoming, previous: LedgerEntry | Incoming) -> Outcome:
    """A known id: the first version decided its fate. A resend of a refused event says why it was refused
    (send it again under a new id once fixed); another payload under a known id is a reported conflict."""
    if item.usage is None or previous.fingerprint != item.fingerprint:
        detail = "this id was received before with another payload; the first version counts"
        return Outcome(item.event_id, "duplicate", "conflicting_duplicate", detail)
    if isinstance(previous, LedgerEntry):
        refused = previous.reason_code
    else:
        refused = previous.rejection.reason_code if previous.rejection else None
    if refused is not None:
        detail = f"this id was received before and rejected ({refused}); resend the corrected event under a new id"
        return Outcome(item.event_id, "duplicate", refused, detail)
    return Outcome(item.event_id, "duplicate")


def _outcome(item: Incoming) -> Outcome:
    if item.rejection is None:
        return Outcome(item.event_id, "accepted")
    return Outcome(item.event_id, "rejected", item.rejection.reason_code, item.rejection.detail, item.field)


async def publish_rejections(
    session: AsyncSession,
    runtime: BillingRuntime,
    items: list[Incoming],
    *,
    now: datetime,
    reason: Rejection | None = None,
) -> None:
    """A `UsageRejected` for each item (its own rejection, or `reason`), so the producer learns why."""
    envelopes = [
        make_event(_rejected_event(item, now=now, reason=reason), source=runtime.outbox.source, time=now)
        for item in items
    ]
    await runtime.outbox.add_envelopes(session, [(e, topics.BILLING, e.subject) for e in envelopes], now=now)


def _rejected_event(item: Incoming, *, now: datetime, reason: Rejection | None) -> UsageRejectedV1:
    rejection = reason or item.rejection
    assert rejection is not None
    raw = item.raw if isinstance(item.raw, dict) else {}
    usage = item.usage

    def text(name: str) -> str | None:
        value = getattr(usage, name, None) if usage is not None else raw.get(name)
        return value if isinstance(value, str) and value else None

    return UsageRejectedV1(
        rejected_event_id=item.event_id,
        reason_code=rejection.reason_code,  # type: ignore[arg-type]
        detail=rejection.detail[:4000],
        source=(text("source") or "")[:200] or None,
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
