"""Reseller routes: registration (admin, idempotent, backdatable), reads, state and ramp-up grants."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from bss.api import examples
from bss.api.caller import Admin, Staff, tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from subscriptions.api.responses import problems, reseller_read
from subscriptions.api.schemas import (
    REGISTRATION_EXAMPLES,
    BillingProfileRead,
    RampUpGrant,
    RampUpPolicyRead,
    ResellerCreate,
    ResellerRead,
)
from subscriptions.deps import RuntimeDep, StaffOrReseller, use_case
from subscriptions.usecases import resellers as usecases
from subscriptions.usecases import settings

router = APIRouter(prefix="/v1", tags=["resellers"], route_class=JsonBodyRoute)
_RESELLER_ID = "The reseller id (its tenant id)."
ResellerId = Annotated[str, Path(description=_RESELLER_ID, max_length=36, examples=[examples.RESELLER_ID])]
# The examples that suspend a reseller or change its grants act on the second example reseller, so that the first
# keeps ordering as registered.
SecondResellerId = Annotated[str, Path(description=_RESELLER_ID, max_length=36, examples=[examples.SECOND_RESELLER_ID])]


@router.post(
    "/resellers",
    status_code=201,
    summary="Register a reseller (service provider)",
    response_model=ResellerRead,
    responses=problems(401, 403, 409, 422),
)
async def register(
    body: Annotated[ResellerCreate, Body(openapi_examples=REGISTRATION_EXAMPLES)],
    caller: Admin,
    runtime: RuntimeDep,
    key: IdempotencyKey = None,
) -> ResellerRead:
    """Registers a reseller (a service provider buying from the distributor) with its legal and billing facts;
    the registration records its first billing profile. Admins only; `reseller_id` keeps the reseller's Acronis
    tenant id (a new id when left out), and `requested_at` backdates the registration. Refused: a country that is
    not ISO 3166-1 alpha-2, a VAT id not of the reseller's country, a price list the vendor does not publish (422),
    or a reseller id already registered (409). With an `Idempotency-Key`, a repeat answers the
    first registration."""
    ctx = use_case(runtime, caller, body.requested_at)
    request = IdempotentRequest.of(
        key, caller=caller.subject, route="register-reseller", body=body.model_dump(mode="json")
    )
    command = body.command()
    return reseller_read(await usecases.register_reseller(ctx, command, request))


@router.get(
    "/resellers", summary="List resellers", response_model=Page[ResellerRead], responses=problems(401, 403, 422)
)
async def list_resellers(
    _caller: Staff,
    runtime: RuntimeDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ResellerRead]:
    """Every registered reseller, a page at a time (`next_cursor` fetches the next). Staff only (admins and
    support agents); a reseller reads itself with `GET /v1/resellers/{reseller_id}`."""
    key = decode_cursor(cursor)
    found = await usecases.list_resellers(runtime, str(key[0]) if key else None, limit)
    next_cursor = encode_cursor([found[-1].id]) if len(found) == limit else None
    return Page[ResellerRead](items=[reseller_read(r) for r in found], next_cursor=next_cursor)


@router.get(
    "/resellers/{reseller_id}",
    summary="Read a reseller (a reseller reads only itself)",
    response_model=ResellerRead,
    responses=problems(401, 403, 404),
)
async def read(reseller_id: ResellerId, caller: StaffOrReseller, runtime: RuntimeDep) -> ResellerRead:
    """A reseller's registration, status (active or suspended) and standing ramp-up grant. Staff read any
    reseller; a reseller reads only itself (another tenant's id answers 404)."""
    scope = tenant_scope(caller, reseller_id)
    return reseller_read(await usecases.get_reseller(runtime, scope or reseller_id))


@router.get(
    "/resellers/{reseller_id}/billing-profile",
    summary="A reseller's billing profile in force on a day (a reseller reads only its own)",
    response_model=BillingProfileRead,
    responses=problems(401, 403, 404, 422),
    description=(
        "Who is billed and where, the invoice currency, payment terms and locale in force on `as_of` (today by "
        "default). Admins change it from a date with `PUT /v1/settings/billing-profiles/{reseller_id}`; "
        "`GET /v1/settings/changes?kind=billing-profiles` lists every change."
    ),
)
async def billing_profile(
    reseller_id: ResellerId,
    caller: StaffOrReseller,
    runtime: RuntimeDep,
    as_of: Annotated[
        date | None, Query(description="The day (YYYY-MM-DD); today when left out.", examples=["2025-02-01"])
    ] = None,
) -> BillingProfileRead:
    scope = tenant_scope(caller, reseller_id) or reseller_id
    on = as_of or runtime.clock.now().date()
    profile, version = await settings.profile_in_force(runtime, scope, on)
    return BillingProfileRead(
        reseller_id=scope,
        as_of=on,
        profile=profile,
        effective_from=version.effective_from if version else None,
        recorded_at=version.recorded_at if version else None,
        recorded_by=version.recorded_by if version else None,
    )


@router.post(
    "/resellers/{reseller_id}/suspension",
    summary="Suspend a reseller: it can no longer order",
    response_model=ResellerRead,
    responses=problems(401, 403, 404),
)
async def suspend(reseller_id: SecondResellerId, caller: Admin, runtime: RuntimeDep) -> ResellerRead:
    """Suspends a reseller: from now on its orders are refused (`reseller_suspended`); its subscriptions keep
    running and are billed as before. Admins only. Suspending a suspended reseller changes nothing."""
    ctx = use_case(runtime, caller, None)
    return reseller_read(await usecases.set_reseller_status(ctx, reseller_id, "suspended"))


@router.post(
    "/resellers/{reseller_id}/reactivation",
    summary="Reactivate a suspended reseller",
    response_model=ResellerRead,
    responses=problems(401, 403, 404),
)
async def reactivate(reseller_id: SecondResellerId, caller: Admin, runtime: RuntimeDep) -> ResellerRead:
    """Makes a suspended reseller active again, so that it may order. Admins only. Reactivating an active
    reseller changes nothing."""
    ctx = use_case(runtime, caller, None)
    return reseller_read(await usecases.set_reseller_status(ctx, reseller_id, "active"))


@router.put(
    "/resellers/{reseller_id}/ramp-up",
    summary="Grant a reseller a ramp-up for its new subscriptions (0..3 cycles)",
    response_model=ResellerRead,
    responses=problems(401, 403, 404, 422),
)
async def grant_ramp_up(
    reseller_id: SecondResellerId, body: RampUpGrant, caller: Admin, runtime: RuntimeDep
) -> ResellerRead:
    """Grants one reseller a ramp-up for the subscriptions it orders from now on: the minimum commitment is waived
    for their first `cycles` billing months (0 to 3; an order's start date caps it: 1 from 2023-11-01). It takes
    precedence over the grant for all (`PUT /v1/ramp-up-policy`); null removes it. Subscriptions already ordered
    keep theirs. Admins only; more than 3 cycles is refused (422)."""
    ctx = use_case(runtime, caller, None)
    return reseller_read(await usecases.grant_reseller_ramp_up(ctx, reseller_id, body.cycles))


@router.put(
    "/ramp-up-policy",
    summary="Ramp-up for all new subscriptions (0..3 cycles; a reseller's own grant takes precedence)",
    response_model=RampUpPolicyRead,
    responses=problems(401, 403, 422),
)
async def set_policy(body: RampUpGrant, caller: Admin, runtime: RuntimeDep) -> RampUpPolicyRead:
    """The ramp-up every new paid subscription gets when its reseller has no grant of its own: its first `cycles`
    billing months owe no minimum commitment (0 to 3, capped by the start date: 1 from 2023-11-01; null is 0).
    Subscriptions already ordered keep theirs. Admins only; more than 3 cycles is refused (422)."""
    cycles = await usecases.set_ramp_up_policy(use_case(runtime, caller, None), body.cycles or 0)
    return RampUpPolicyRead(cycles=cycles)
