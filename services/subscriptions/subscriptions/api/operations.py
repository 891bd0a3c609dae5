"""Catalog read-model view and the trial scheduler's manual trigger."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from bss.api.caller import Admin, CurrentCaller
from subscriptions.api.responses import problems
from subscriptions.api.schemas import CatalogProductRead, Commitment, SweepRead
from subscriptions.deps import RuntimeDep, use_case
from subscriptions.usecases import lifecycle, queries

router = APIRouter(prefix="/v1", tags=["catalog read model", "operations"])


@router.get(
    "/catalog/products",
    summary="Contract products as this service learned them from catalog events, as of a date",
    response_model=list[CatalogProductRead],
    responses=problems(401, 422),
)
async def products(
    _caller: CurrentCaller,
    runtime: RuntimeDep,
    as_of: Annotated[date | None, Query(description="Default: today (UTC).", examples=["2025-01-01"])] = None,
) -> list[CatalogProductRead]:
    """The contract tier products this service knows from the catalog's events, each as its version in force on
    `as_of`: code, name, tier, commitments per currency, upgrade paths, exclusion set, promo cut-off,
    deactivation and the Tier 1 region rule. What orders and tier changes are checked against. Any caller of the
    suite."""
    on = as_of or runtime.clock.now().date()
    return [
        CatalogProductRead(
            product_id=product.product_id,
            effective_from=version.effective_from,
            code=version.code,
            name=version.name,
            tier=version.tier,
            commitments=[Commitment(amount=a, currency=c) for c, a in sorted(version.commitments.items())],
            upgrade_product_ids=sorted(version.upgrade_product_ids),
            exclusion_set=version.exclusion_set,
            orderable_before=version.orderable_before,
            deactivated_from=product.deactivated_from,
            new_partner_countries=sorted(version.new_partner_rule.countries) if version.new_partner_rule else [],
            new_partner_since=version.new_partner_rule.partners_since if version.new_partner_rule else None,
        )
        for product, version in await queries.catalog_as_of(runtime, on)
    ]


@router.post(
    "/trials/sweep",
    summary="Run the trial scheduler now: expire (or auto-convert) trials past their end",
    response_model=SweepRead,
    responses=problems(401, 403),
)
async def sweep(caller: Admin, runtime: RuntimeDep) -> SweepRead:
    """Runs the trial scheduler's pass now instead of waiting for it: every trial past its end converts to paid
    (its own `auto_convert`) or expires. Answers how many of each. Admins only; a pass with nothing to do answers
    zeros."""
    result = await lifecycle.sweep_trials(use_case(runtime, caller, None))
    return SweepRead(expired=result.expired, converted=result.converted)
