"""Which usage events billing accepts, and into which bucket an accepted one is counted (docs/domain.md, Billing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args

from billing.domain.subscription_timeline import PaidWindow, is_billed_instant
from bss.calendar_months import next_period, period_of
from bss.events.contracts.value_types import Aggregation

UsageFate = Literal["accepted", "rejected", "dead_lettered"]
"""What became of a usage event id: counted (or on its way), refused with a reason, or set aside on the dead-letter
topic because no reader could make sense of its record (docs/domain.md, "Usage ingestion")."""
USAGE_FATES: tuple[UsageFate, ...] = get_args(UsageFate)
DEAD_LETTERED = "dead_lettered"
"""The ledger's reason for an event id whose record went to the dead-letter topic (ADR 0013): not a refusal of
the event, which a later readable copy under the same id may still have counted."""


@dataclass(frozen=True, slots=True)
class SubscriptionFacts:
    """What the usage rules need to know about the subscription an event names."""

    reseller_id: str
    status: str
    started_at: datetime
    window: PaidWindow
    skus: Mapping[str, Aggregation]  # SKUs billed under the product in force, with their aggregation
    billed_elsewhere_through: date | None = None  # imported: the last month another system invoiced


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an event is refused: a `UsageRejected` reason code and what to fix."""

    reason_code: str
    detail: str


def check_usage(
    facts: SubscriptionFacts | None,
    *,
    subscription_id: str,
    reseller_id: str,
    sku: str,
    measured_at: datetime,
    now: datetime,
    future_tolerance: timedelta,
) -> Rejection | None:
    """A usage event is refused when its subscription is unknown or another reseller's, its SKU is not billed
    under the product, it was measured too far in the future, in a month another system invoiced (an imported
    subscription), or outside the paid life of the subscription (usage measured in trial is never invoiced)
    (docs/domain.md, "Usage ingestion")."""
    if facts is None:
        return Rejection("unknown_subscription", f"subscription {subscription_id} is not known to billing")
    if facts.reseller_id != reseller_id:
        return Rejection("reseller_mismatch", f"subscription {subscription_id} belongs to another reseller")
    if sku not in facts.skus:
        return Rejection("unknown_sku", f"SKU '{sku}' is not billed under the subscription's product")
    if measured_at > now + future_tolerance:
        return Rejection("measured_in_future", f"measured_at {measured_at.isoformat()} is in the future")
    if facts.billed_elsewhere_through is not None and period_of(measured_at) <= facts.billed_elsewhere_through:
        return Rejection(
            "billed_elsewhere",
            f"measured in {period_of(measured_at):%Y-%m}, a month another system invoiced (the subscription was "
            f"imported as invoiced through {facts.billed_elsewhere_through:%Y-%m})",
        )
    if not is_billed_instant(facts.window, measured_at):
        if facts.status == "trial" or (facts.window.paid_from and measured_at >= facts.started_at):
            return Rejection("outside_subscription", "measured while the subscription was in trial: never invoiced")
        return Rejection("outside_subscription", "measured outside the paid life of the subscription")
    return None


def billed_in(period: date, closed_through: date | None) -> date:
    """The period whose invoice carries usage of `period`: its own while open, else the next open period, where
    it becomes an adjustment carrying its original period (Billing conventions: late usage)."""
    if closed_through is None or period > closed_through:
        return period
    return next_period(closed_through)


def keeps_days(rule: Aggregation) -> bool:
    """`average` SKUs keep one value per day; the other rules one per period."""
    return rule == "average"


def bucket_day(rule: Aggregation, measured_at: datetime) -> date:
    """The day bucket a reading counts in: its UTC date for a rule that keeps days, else its period (its 1st)."""
    return measured_at.date() if keeps_days(rule) else period_of(measured_at)


RETRYABLE_REFUSALS = frozenset({"unknown_subscription", DEAD_LETTERED})


def is_final_refusal(reason_code: str | None) -> bool:
    """Whether a refusal decides an event id for good. `unknown_subscription` does not: the subscription's own
    events travel on another topic and may not have reached billing yet, so the same event sent again later is
    judged afresh (ADR 0010). Nor does a dead letter: its record could not be read, which says nothing of the
    event, so a readable copy under the same id is judged afresh (ADR 0022). Every other refusal is final: fix
    the event and send it under a new id."""
    return reason_code not in RETRYABLE_REFUSALS


def fate_of(reason_code: str | None) -> UsageFate:
    """The fate a ledger row's reason gives: none is an accepted (counted) event."""
    if reason_code is None:
        return "accepted"
    return "dead_lettered" if reason_code == DEAD_LETTERED else "rejected"
