"""What the usage intake (`usage_intake`) and the usage consumer (`usage_counting`) both do to an event.

Each side reads the events it receives (`read_incoming`), loads the subscriptions and products they name
(`load_context`), checks each against the read model (`check_against`, the rules of domain/usage_rules.py),
turns its fate into a ledger entry (`decided`) and tells the producer of each refused one why
(`publish_rejections`). The consumer checks again what the intake accepted: the read model only moves forward,
so an event that passed still passes, and one that no longer does is refused with its reason.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.read_model import ProductInfo, SubscriptionView, load_products, load_subscriptions, usage_facts
from billing.adapters.usage_ledger import Decided
from billing.adapters.usage_wire import InvalidUsage, Usage, event_key, fingerprint_of, read_usage
from billing.domain.usage_rules import Rejection, SubscriptionFacts, check_usage
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings
from bss.calendar_months import period_of
from bss.events import topics
from bss.events.contracts.billing import UsageRejectedV1
from bss.events.contracts.value_types import Aggregation
from bss.events.envelope import make_event


class Incoming(msgspec.Struct):
    """One event as received: its usage if valid, else (or if refused) the rejection and the field at fault (a
    struct: made for every event of every batch, at a tenth of a dataclass's cost)."""

    event_id: str
    event_key: str  # the ledger's key of `event_id` (`usage_wire.event_key`)
    raw: object
    usage: Usage | None
    known_fingerprint: int | None  # of an invalid payload; a valid one's is computed when first needed
    rejection: Rejection | None = None
    field: str | None = None

    @property
    def fingerprint(self) -> int:
        if self.known_fingerprint is None:
            assert self.usage is not None
            self.known_fingerprint = self.usage.fingerprint()
        return self.known_fingerprint


def read_incoming(event_id: str, raw: object) -> Incoming:
    try:
        usage = read_usage(raw)
    except InvalidUsage as exc:
        raw = msgspec.to_builtins(raw) if isinstance(raw, Usage) else raw
        rejection = Rejection(exc.reason_code, exc.detail)
        return Incoming(
            event_id, event_key(event_id), raw, None, fingerprint_of(repr(raw).encode()), rejection, exc.field
        )
    return Incoming(event_id, event_key(event_id), raw, usage, None)


_UNSEEN = object()


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
    facts: dict[tuple[str, int, int], SubscriptionFacts | None] = {}
    rules: dict[tuple[str, date], dict[str, Aggregation]] = {}
    for item in items:
        usage = item.usage
        assert usage is not None
        measured_at = usage.measured_at  # in UTC: its period is its year and month
        key = (usage.subscription_id, measured_at.year, measured_at.month)
        found = facts.get(key, _UNSEEN)
        if found is _UNSEEN:
            period = period_of(measured_at)
            found = facts[key] = usage_facts(views.get(usage.subscription_id), products, period, rules)
        item.rejection = check_usage(
            found,  # type: ignore[arg-type]
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


def decided(item: Incoming, reason: Rejection | None = None) -> Decided:
    """A refused event's ledger entry (its own rejection, or `reason`)."""
    rejection = reason or item.rejection
    assert rejection is not None
    return Decided(item.event_id, item.event_key, item.fingerprint, item.usage, rejection.reason_code, rejection.detail)


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
    try:
        return str(UUID(value)) if value else None
    except ValueError:
        return None
