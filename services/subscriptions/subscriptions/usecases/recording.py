"""What every subscription use case records beside its state change: the status history and its event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bss.events.envelope import EventData
from subscriptions.domain.tier_changes import TierPolicy
from subscriptions.models import StatusChangeRow, Subscription
from subscriptions.runtime import SubscriptionsRuntime
from subscriptions.settings import SubscriptionsSettings


def tier_policy(settings: SubscriptionsSettings) -> TierPolicy:
    return TierPolicy(upgrade=settings.upgrade_timing, downgrade=settings.downgrade_timing)


async def enter_status(
    session: AsyncSession, subscription: Subscription, status: str, *, at: datetime, recorded: datetime
) -> None:
    """Move the subscription to `status` as of business instant `at` and keep the move in its history."""
    subscription.status = status
    subscription.recorded_at = recorded
    session.add(StatusChangeRow(subscription_id=subscription.id, status=status, at=at, recorded_at=recorded))


async def publish(
    runtime: SubscriptionsRuntime, session: AsyncSession, event: EventData, *, recorded: datetime
) -> None:
    """The event leaves with the state change or not at all (transactional outbox)."""
    await runtime.outbox.add(session, event, now=recorded)
