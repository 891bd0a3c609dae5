"""Subscription routes: orders, reads, trial conversion, tier changes and previews, suspension, cancellation,
and the per-period timeline. Admins may backdate with `requested_at`; resellers act on their own only."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query

from bss.api import examples
from bss.api.caller import Admin, CurrentCaller, tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from bss.calendar_months import period_of, shift_period
from bss.identity import Role
from bss.problems import Forbidden, ValidationProblem, field_error
from subscriptions.api.responses import preview_read, problems, subscription_read
from subscriptions.api.schemas import (
    ORDER_EXAMPLES,
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
    body: Annotated[SubscriptionCreate, Body(openapi_examples=ORDER_EXAMPLES)],
    caller: AdminOrReseller,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
) -> SubscriptionRead:
    """Orders a contract tier product, in quantity 1, as a trial or paid, from `start_at` (default: now). A
    reseller orders for itself; an admin names the reseller, and may backdate (`requested_at`, a `start_at` long
    past), set the ramp-up cycles or a trial's length. A trial takes the trial policy in force on its start day
    unless `trial` chooses its own terms. Refused with every reason at once (422, `errors[].rule`): an unknown or
    suspended reseller, a product not orderable that day (not yet available, deactivated, past its promo cut-off,
    the Tier 1 region rule), a reseller already holding a contract (the exclusion set), an invoice currency nothing
    prices, a non-admin start more than 24 hours past, a ramp-up above its cap; backdating or choosing a ramp-up or
    trial length as a reseller is 403. With an `Idempotency-Key`, a repeat answers the first order."""
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
    reseller_id: Annotated[
        str | None, Query(description="Only this reseller's subscriptions.", examples=[examples.RESELLER_ID])
    ] = None,
    status: Annotated[Status | None, Query(description="Only those in this state.", examples=["active"])] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[SubscriptionRead]:
    """Subscriptions with their tier in force and any pending change, a page at a time (`next_cursor` fetches the
    next), filtered by reseller and state. Staff see every reseller's; a reseller sees its own only (naming
    another reseller answers 404)."""
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
    """One subscription: its state, trial terms, ramp-up, the product (tier) in force in the current period and
    any tier change pending from a later one. Any caller of the suite; a reseller finds only its own (404)."""
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
    """Converts a trial to paid from now (or an admin's `requested_at`), up to and including the trial's last day;
    the subscription owes its commitment from then on. The reseller or an admin; refused (409) when the
    subscription is not a trial or the trial has ended."""
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
    """What `POST .../tier-change` with this body would do, without doing it: the direction, the first billing
    period at the new tier, both commitments, the pending changes it would replace, or every reason it would be
    refused (`allowed: false`, `refusals`). The reseller or an admin (who may preview as of `requested_at`)."""
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
    """Moves an active subscription to another tier of its contract: an upgrade (a higher commitment) applies to
    the current billing period, a downgrade from the next one; the subscription keeps its id. A change replaces any
    change pending from its period on. The reseller or an admin (who may backdate with `requested_at`). Refused
    with its reasons (422, `errors[].rule`): not active, the same tier, an unknown product, one outside the
    upgrade paths, not yet available or deactivated, the Tier 1 region rule."""
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
    """Suspends an active subscription, for non-payment: it keeps its tier and exclusion set, its usage is still
    accepted and billed and its months still owe the commitment. Admins only (who may backdate with
    `requested_at`); refused (409) unless the subscription is active."""
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
    """Makes a suspended subscription active again. Admins only (who may backdate with `requested_at`); refused
    (409) unless the subscription is suspended."""
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
    """Cancels a trial, active or suspended subscription: it is `cancelled` at once and ends at the end of the
    current billing period (00:00 UTC on the 1st of the next month) by default, or at once when an admin says
    `at_period_end: false`; a cancelled trial ends at once. Its contract is free for an order from its end. The
    reseller or an admin (who alone may choose the timing or backdate); refused (409) when already cancelled or
    expired."""
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
    """The subscription month by month: the product (named as on the 1st of the month), its commitment, whether
    the month is a ramp-up cycle, the state it ended in and whether the minimum commitment is owed (a paid month
    outside ramp-up). Any caller of the suite; a reseller sees only its own (404). At most 120 months at a time;
    `to` before `from` is refused (422)."""
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
