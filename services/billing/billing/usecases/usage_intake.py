"""Usage in over HTTP: every event of a batch answered, the accepted ones durable before the answer.

Each event is read (`usage_wire`) and checked against billing's read model (`usage_checks`, as the consumer
does). Then, in one transaction: the
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

from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.usage_ledger import LedgerEntry, record_rejected
from billing.adapters.usage_store import UsageStore
from billing.adapters.usage_wire import USAGE_TYPE, encode_envelope, instant_text
from billing.runtime import BillingRuntime, BillingUseCase
from billing.usecases.usage_checks import (
    Incoming,
    check_against,
    decided,
    load_context,
    publish_rejections,
    read_incoming,
)
from bss.events import topics
from bss.messaging.outbox import BundledMessage


class Outcome(msgspec.Struct, frozen=True):
    """The fate of one event of a batch: accepted, duplicate, or rejected with a reason (a frozen struct: a batch
    answers ten thousand, where a frozen dataclass cost 0.6 us each to make and 0.17 to encode, a struct 0.07
    and 0.06)."""

    event_id: str
    status: str
    reason_code: str | None = None
    detail: str | None = None
    field: str | None = None


async def ingest_usage(ctx: BillingUseCase, store: UsageStore, items: list[tuple[str, object]]) -> list[Outcome]:
    """POST /v1/usage: answer each (event_id, data) as of `ctx.now` (one context per batch); the accepted and the
    rejected ones are durable (committed) when this returns."""
    async with ctx.transaction() as session:
        return await record_batch(session, ctx, store, items)


async def record_batch(
    session: AsyncSession, ctx: BillingUseCase, store: UsageStore, items: list[tuple[str, object]]
) -> list[Outcome]:
    """`ingest_usage`'s work inside the caller's transaction (the Acronis report import writes its mappings in
    the same one)."""
    runtime, settings, now = ctx.runtime, ctx.settings, ctx.now
    received = [read_incoming(event_id, raw) for event_id, raw in items]
    valid = [item for item in received if item.usage is not None]
    views, products = await load_context(session, {i.usage.subscription_id for i in valid if i.usage}, lock=False)
    check_against(valid, views, products, settings, now=now)
    first: dict[str, Incoming] = {}
    for item in received:
        first.setdefault(item.event_key, item)  # within a batch too, the first version counts
    decided_before = await store.lookup(session, first) if settings.usage_duplicate_check else {}
    known = {event_key: entry for event_key, entry in decided_before.items() if entry.decided}
    new = [item for event_key, item in first.items() if event_key not in known]
    refused = [item for item in new if item.rejection is not None]
    written = await record_rejected(session, [decided(item) for item in refused], now=now)
    await publish_rejections(session, runtime, [i for i in refused if i.event_key in written], now=now)
    accepted = [item for item in new if item.rejection is None]
    await _publish_accepted(session, runtime, accepted, now=now)
    answered = {item.event_key for item in accepted} | written
    outcomes: list[Outcome] = []
    for item in received:
        if item is first[item.event_key] and item.event_key in answered:
            outcomes.append(_outcome(item))
        else:
            outcomes.append(_duplicate_outcome(item, known.get(item.event_key) or first[item.event_key]))
    return outcomes


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
