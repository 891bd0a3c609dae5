"""Trial conversion and expiry, suspension, resumption and cancellation: each a state change and its event.

Every transition is a conditional UPDATE on the state it leaves (`WHERE status = 'trial'`), so two replicas
of the trial scheduler, or a reseller converting while the scheduler expires, cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bss.calendar_months import period_of
from bss.events.contracts.subscriptions import (
    SubscriptionCancelledV1,
    SubscriptionResumedV1,
    SubscriptionSuspendedV1,
    SuspensionReason,
    TrialConvertedV1,
    TrialExpiredV1,
)
from bss.ramp_up import ramp_up_window
from subscriptions.adapters.repository import scheduled_changes
from subscriptions.domain.lifecycle import Action, cancellation_effective_at, last_billed_period, transition_refusal
from subscriptions.domain.trials import may_convert, trial_last_day
from subscriptions.errors import StateConflict, SubscriptionNotFound
from subscriptions.models import StatusChangeRow, Subscription
from subscriptions.runtime import SubscriptionsRuntime, SubscriptionsUseCase
from subscriptions.usecases.recording import publish
from subscriptions.usecases.records import SubscriptionRecord, subscription_record


async def _claim(
    session: AsyncSession, subscription_id: str, from_status: str, values: dict[str, object]
) -> Subscription | None:
    """Move the row out of `from_status` if it is still there; None when someone else moved it first."""
    result = await session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id, Subscription.status == from_status)
        .values(**values)
        .returning(Subscription.id)
    )
    if result.first() is None:
        return None
    return await session.get(Subscription, subscription_id, populate_existing=True)


async def _load_for(session: AsyncSession, subscription_id: str, action: Action) -> Subscription:
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None:
        raise SubscriptionNotFound()
    if problem := transition_refusal(subscription.status, action):
        raise StateConflict(problem, f"cannot_{action}")
    return subscription


def _history(subscription: Subscription, status: str, at: datetime, recorded: datetime) -> StatusChangeRow:
    return StatusChangeRow(subscription_id=subscription.id, status=status, at=at, recorded_at=recorded)


async def _current_product(session: AsyncSession, subscription: Subscription, at: datetime) -> str:
    product_id = subscription.product_id
    for change in await scheduled_changes(session, subscription.id):
        if change.effective_from <= period_of(at):
            product_id = change.to_product_id
    return product_id


async def _convert(
    runtime: SubscriptionsRuntime,
    session: AsyncSession,
    subscription: Subscription,
    at: datetime,
    recorded: datetime,
    auto: bool,
) -> bool:
    window = ramp_up_window(period_of(at), subscription.ramp_up_cycles)  # the conversion month is cycle 1
    first_period = window.first_period if window is not None else None
    values = {"status": "active", "paid_from": at, "ramp_up_first_period": first_period, "recorded_at": recorded}
    claimed = await _claim(session, subscription.id, "trial", values)
    if claimed is None:
        return False
    session.add(_history(claimed, "active", at, recorded))
    converted = TrialConvertedV1(
        subscription_id=claimed.id,
        reseller_id=claimed.reseller_id,
        product_id=await _current_product(session, claimed, at),
        converted_at=at,
        automatic=auto,
        ramp_up_first_period=first_period,
        ramp_up_last_period=window.last_period if window is not None else None,
    )
    await publish(runtime, session, converted, recorded=recorded)
    return True


async def convert_trial(ctx: SubscriptionsUseCase, subscription_id: str) -> SubscriptionRecord:
    """The reseller converts its trial to paid, up to and including the trial's last day (DOMAIN: Trial)."""
    async with ctx.transaction() as session:
        subscription = await _load_for(session, subscription_id, "convert")
        assert subscription.trial_ends_at is not None
        if not may_convert(subscription.trial_ends_at, ctx.effective):
            last = trial_last_day(subscription.trial_ends_at)
            raise StateConflict(f"The trial's last day was {last}; it can no longer be converted.", "trial_ended")
        if not await _convert(ctx.runtime, session, subscription, ctx.effective, ctx.now, auto=False):
            raise StateConflict("The trial was converted or expired meanwhile.", "cannot_convert")
        return subscription_record(subscription)


@dataclass(frozen=True, slots=True)
class SweepResult:
    expired: int
    converted: int


async def sweep_trials(ctx: SubscriptionsUseCase) -> SweepResult:
    """The trial scheduler: trials past their end (as of `ctx.effective`) expire, or convert when auto-conversion
    is set.

    Safe to run twice and on two replicas at once: each trial moves out of 'trial' in one conditional UPDATE,
    and only the run that moved it writes the event. Each trial moves in its own transaction, recorded at the
    real time of that transaction.
    """
    runtime = ctx.runtime
    async with runtime.sessions() as session:
        due = (
            await session.scalars(
                select(Subscription.id).where(
                    Subscription.status == "trial", Subscription.trial_ends_at <= ctx.effective
                )
            )
        ).all()
    expired = converted = 0
    for subscription_id in due:
        async with ctx.transaction() as session:
            subscription = await session.get(Subscription, subscription_id)
            if subscription is None or subscription.status != "trial" or subscription.trial_ends_at is None:
                continue
            ends = subscription.trial_ends_at
            recorded = runtime.clock.now()
            if subscription.auto_convert:
                converted += await _convert(runtime, session, subscription, ends, recorded, auto=True)
            else:
                expired += await _expire(runtime, session, subscription, ends, recorded)
    return SweepResult(expired=expired, converted=converted)


async def _expire(
    runtime: SubscriptionsRuntime, session: AsyncSession, subscription: Subscription, ends: datetime, recorded: datetime
) -> bool:
    claimed = await _claim(session, subscription.id, "trial", {"status": "expired", "ends_at": ends})
    if claimed is None:
        return False
    session.add(_history(claimed, "expired", ends, recorded))
    product_id = await _current_product(session, claimed, ends)
    event = TrialExpiredV1(
        subscription_id=claimed.id, reseller_id=claimed.reseller_id, product_id=product_id, expired_at=ends
    )
    await publish(runtime, session, event, recorded=recorded)
    return True


async def suspend(
    ctx: SubscriptionsUseCase, subscription_id: str, reason: SuspensionReason, detail: str | None
) -> SubscriptionRecord:
    """An active subscription is suspended (non-payment); it keeps its exclusion set and can be resumed."""
    async with ctx.transaction() as session:
        subscription = await _load_for(session, subscription_id, "suspend")
        if await _claim(session, subscription.id, "active", {"status": "suspended"}) is None:
            raise StateConflict("The subscription changed meanwhile; reload it.", "cannot_suspend")
        session.add(_history(subscription, "suspended", ctx.effective, ctx.now))
        event = SubscriptionSuspendedV1(
            subscription_id=subscription.id,
            reseller_id=subscription.reseller_id,
            suspended_at=ctx.effective,
            reason=reason,
            detail=detail,
        )
        await publish(ctx.runtime, session, event, recorded=ctx.now)
        return subscription_record(subscription)


async def resume(ctx: SubscriptionsUseCase, subscription_id: str) -> SubscriptionRecord:
    """A suspended subscription becomes active again."""
    async with ctx.transaction() as session:
        subscription = await _load_for(session, subscription_id, "resume")
        if await _claim(session, subscription.id, "suspended", {"status": "active"}) is None:
            raise StateConflict("The subscription changed meanwhile; reload it.", "cannot_resume")
        session.add(_history(subscription, "active", ctx.effective, ctx.now))
        event = SubscriptionResumedV1(
            subscription_id=subscription.id, reseller_id=subscription.reseller_id, resumed_at=ctx.effective
        )
        await publish(ctx.runtime, session, event, recorded=ctx.now)
        return subscription_record(subscription)


async def cancel(
    ctx: SubscriptionsUseCase, subscription_id: str, *, at_period_end: bool | None, reason: str | None
) -> SubscriptionRecord:
    """Cancel: by default the subscription ends with the current billing period, billed in full; the exclusion
    set is free for an order starting from then (DOMAIN: Subscriptions, first and last month)."""
    settings = ctx.settings
    async with ctx.transaction() as session:
        subscription = await _load_for(session, subscription_id, "cancel")
        before = subscription.status
        end_of_period = settings.cancel_at_period_end if at_period_end is None else at_period_end
        ends = cancellation_effective_at(before, ctx.effective, at_period_end=end_of_period)
        values = {"status": "cancelled", "ends_at": ends, "cancel_reason": reason}
        if await _claim(session, subscription.id, before, values) is None:
            raise StateConflict("The subscription changed meanwhile; reload it.", "cannot_cancel")
        session.add(_history(subscription, "cancelled", ctx.effective, ctx.now))
        event = SubscriptionCancelledV1(
            subscription_id=subscription.id,
            reseller_id=subscription.reseller_id,
            product_id=await _current_product(session, subscription, ctx.effective),
            status_before=before,  # type: ignore[arg-type]
            requested_at=ctx.effective,
            effective_at=ends,
            last_billed_period=last_billed_period(subscription.paid_from, ends),
            reason=reason,
        )
        await publish(ctx.runtime, session, event, recorded=ctx.now)
        return subscription_record(subscription)
