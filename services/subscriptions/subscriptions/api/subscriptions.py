"""Subscription routes: orders, reads, trial conversion, tier changes and previews, suspension, cancellation,
and the per-period timeline. Admins may backdate with `requested_at`; resellers act on their own only."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from bss.api.caller import Admin, CurrentCaller, tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from bss.calendar_months import period_of, shift_period
from bss.identity import Role
from bss.problems import Forbidden, ValidationProblem, field_error
from subscriptions.api.responses import preview_read, problems, subscription_read
from subscriptions.api.schemas import (
    BackdatedAction,
    CancellationCreate,
    Commitment,
    PeriodRead,
    SubscriptionCreate,
    SubscriptionRead,
    SuspensionCreate,
    TierChangeCreate,
    TierChangePreview,
    TierChangeRead,
)
from subscriptions.deps import AdminOrReseller, RuntimeDep, StaffOrReseller, SubscriptionInPath, use_case
from subscriptions.domain.lifecycle import Status
from subscriptions.domain.trials import TrialChoice
from subscriptions.usecases import lifecycle, orders, queries, tier_changes

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"], route_class=JsonBodyRoute)
MAX_TIMELINE_MONTHS = 120


async def _read(runtime: RuntimeDep, subscription_id: str) -> SubscriptionRead:
    return subscription_read(await queries.get_subscription(runtime, subscription_id, runtime.clock.now()))


@router.post(
    "",
    status_code=201,
    summary="Order a contract product (trial or paid, quantity 1)",
    response_model=SubscriptionRead,
    responses=problems(401, 403, 404, 409, 422),
)
async def order(
    body: SubscriptionCreate, caller: AdminOrReseller, runtime: RuntimeDep, key: IdempotencyKey = None
) -> SubscriptionRead:
    admin = caller.role is Role.ADMIN
    ctx = use_case(runtime, caller, body.requested_at)
    reseller_id = tenant_scope(caller, body.reseller_id)
    if reseller_id is None:
        raise ValidationProblem("Name the reseller.", errors=[field_error("reseller_id", "required for admins")])
    if body.ramp_up_cycles is not None and not admin:
        raise Forbidden("Only the distributor grants a ramp-up; leave ramp_up_cycles out.")
    if body.trial is not None and body.trial.days is not None and not admin:
        raise Forbidden("Only the distributor sets a trial's length; leave trial.days out to get its trial policy.")
    request = IdempotentRequest.of(key, caller=caller.subject, route="order", body=body.model_dump(mode="json"))
    command = orders.PlaceOrder(
        reseller_id=reseller_id,
        product_id=body.product_id,
        kind=body.kind,
        start_at=body.start_at,
        ramp_up_cycles=body.ramp_up_cycles,
        by_admin=admin,
        trial=TrialChoice(days=body.trial.days, auto_convert=body.trial.auto_convert) if body.trial else None,
    )
    subscription = await orders.place_order(ctx, command, request)
    return await _read(runtime, subscription.id)


@router.get(
    "",
    summary="List subscriptions (a reseller sees its own only)",
    response_model=Page[SubscriptionRead],
    responses=problems(401, 403, 404, 422),
)
async def list_subscriptions(
    caller: StaffOrReseller,
    runtime: RuntimeDep,
    reseller_id: str | None = None,
    status: Status | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[SubscriptionRead]:
    key = decode_cursor(cursor)
    scope = tenant_scope(caller, reseller_id)
    now = runtime.clock.now()
    found = await queries.list_subscriptions(runtime, scope, status, str(key[0]) if key else None, limit, now)
    next_cursor = encode_cursor([found[-1].subscription.id]) if len(found) == limit else None
    return Page[SubscriptionRead](items=[subscription_read(v) for v in found], next_cursor=next_cursor)


@router.get(
    "/{subscription_id}",
    summary="Read a subscription, its tier in force and any pending change",
    response_model=SubscriptionRead,
    responses=problems(401, 404),
)
async def read(subscription: SubscriptionInPath, runtime: RuntimeDep) -> SubscriptionRead:
    return await _read(runtime, subscription.id)


@router.post(
    "/{subscription_id}/conversion",
    summary="Convert a trial to paid (up to and including its last day)",
    response_model=SubscriptionRead,
    responses=problems(401, 403, 404, 409),
)
async def convert(
    subscription: SubscriptionInPath, body: BackdatedAction, caller: AdminOrReseller, runtime: RuntimeDep
) -> SubscriptionRead:
    ctx = use_case(runtime, caller, body.requested_at)
    await lifecycle.convert_trial(ctx, subscription.id)
    return await _read(runtime, subscription.id)


@router.post(
    "/{subscription_id}/tier-change-preview",
    summary="What a tier change would do: period, commitments, refusals (changes nothing)",
    response_model=TierChangePreview,
    responses=problems(401, 403, 404, 422),
)
async def preview(
    subscription: SubscriptionInPath, body: TierChangeCreate, caller: AdminOrReseller, runtime: RuntimeDep
) -> TierChangePreview:
    ctx = use_case(runtime, caller, body.requested_at)
    view = await tier_changes.preview_tier_change(runtime, subscription.id, body.product_id, ctx.effective)
    return preview_read(view, body.product_id)


@router.post(
    "/{subscription_id}/tier-change",
    summary="Upgrade (this period) or downgrade (from the next) to another tier",
    response_model=TierChangeRead,
    responses=problems(401, 403, 404, 422),
)
async def change_tier(
    subscription: SubscriptionInPath, body: TierChangeCreate, caller: AdminOrReseller, runtime: RuntimeDep
) -> TierChangeRead:
    ctx = use_case(runtime, caller, body.requested_at)
    view = await tier_changes.change_tier(ctx, subscription.id, body.product_id)
    preview_part = preview_read(view, body.product_id)
    return TierChangeRead(**preview_part.model_dump(), subscription=await _read(runtime, subscription.id))


@router.post(
    "/{subscription_id}/suspension",
    summary="Suspend an active subscription (non-payment)",
    response_model=SubscriptionRead,
    responses=problems(401, 403, 404, 409),
)
async def suspend(
    subscription: SubscriptionInPath, body: SuspensionCreate, caller: Admin, runtime: RuntimeDep
) -> SubscriptionRead:
    ctx = use_case(runtime, caller, body.requested_at)
    await lifecycle.suspend(ctx, subscription.id, body.reason, body.detail)
    return await _read(runtime, subscription.id)


@router.post(
    "/{subscription_id}/resumption",
    summary="Resume a suspended subscription",
    response_model=SubscriptionRead,
    responses=problems(401, 403, 404, 409),
)
async def resume(
    subscription: SubscriptionInPath, body: BackdatedAction, caller: Admin, runtime: RuntimeDep
) -> SubscriptionRead:
    ctx = use_case(runtime, caller, body.requested_at)
    await lifecycle.resume(ctx, subscription.id)
    return await _read(runtime, subscription.id)


@router.post(
    "/{subscription_id}/cancellation",
    summary="Cancel (by default at the end of the current billing period)",
    response_model=SubscriptionRead,
    responses=problems(401, 403, 404, 409),
)
async def cancel(
    subscription: SubscriptionInPath, body: CancellationCreate, caller: AdminOrReseller, runtime: RuntimeDep
) -> SubscriptionRead:
    if body.at_period_end is not None and caller.role is not Role.ADMIN:
        raise Forbidden("Only admins choose when a cancellation takes effect; leave at_period_end out.")
    ctx = use_case(runtime, caller, body.requested_at)
    await lifecycle.cancel(ctx, subscription.id, at_period_end=body.at_period_end, reason=body.reason)
    return await _read(runtime, subscription.id)


@router.get(
    "/{subscription_id}/periods",
    summary="Per billing month: tier (named as on the 1st), commitment, ramp-up flag and state",
    response_model=list[PeriodRead],
    responses=problems(401, 404, 422),
)
async def periods(
    subscription: SubscriptionInPath,
    _caller: CurrentCaller,
    runtime: RuntimeDep,
    from_: Annotated[date | None, Query(alias="from", description="Default: the first period.")] = None,
    to: Annotated[date | None, Query(description="Default: the current period.")] = None,
) -> list[PeriodRead]:
    first = from_ or period_of(subscription.started_at)
    last = to or period_of(runtime.clock.now())
    if last < first:
        raise ValidationProblem("`to` is before `from`.", errors=[field_error("to", "must not be before from")])
    if shift_period(first, MAX_TIMELINE_MONTHS) <= last:
        raise ValidationProblem("Ask for at most 120 months.", errors=[field_error("to", "at most 120 months")])
    lines = await queries.subscription_periods(runtime, subscription, first, last)
    return [
        PeriodRead(
            period=line.period,
            product_id=line.product_id,
            product_name=line.product_name,
            tier=line.tier,
            commitment=Commitment(amount=line.commitment, currency=line.commitment_currency)
            if line.commitment is not None and line.commitment_currency
            else None,
            ramp_up=line.ramp_up,
            state=line.state,
            commitment_applies=line.commitment_applies,
        )
        for line in lines
    ]
