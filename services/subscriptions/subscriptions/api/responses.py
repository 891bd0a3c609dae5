"""The error responses routes document (problem+json), and how use-case results become response schemas."""

from __future__ import annotations

from typing import Any

from bss.problems import PROBLEM_JSON
from subscriptions.api.schemas import (
    Commitment,
    PendingChange,
    RefusalRead,
    ResellerRead,
    SubscriptionRead,
    TierChangePreview,
)
from subscriptions.domain.trials import trial_last_day, trial_length_days
from subscriptions.usecases.queries import SubscriptionView
from subscriptions.usecases.records import ResellerRecord
from subscriptions.usecases.tier_changes import TierChangeView


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        401: "No gateway identity",
        403: "Role not allowed, or backdating by a non-admin",
        404: "Not found (or another tenant's)",
        409: "Conflicts with the current state (rule code in errors[].rule)",
        422: "Invalid input or a broken business rule (field and rule in errors[])",
    }
    return {s: {"description": described[s], "content": {PROBLEM_JSON: {}}} for s in statuses}


def reseller_read(reseller: ResellerRecord) -> ResellerRead:
    return ResellerRead(
        id=reseller.id,
        legal_name=reseller.legal_name,
        billing_email=reseller.billing_email,
        billing_address=reseller.billing_address,
        country=reseller.country,
        partner_since=reseller.partner_since,
        billing_currency=reseller.billing_currency,
        contract_signed_on=reseller.contract_signed_on,
        tax_id=reseller.tax_id,
        status=reseller.status,  # type: ignore[arg-type]
        ramp_up_cycles=reseller.ramp_up_cycles,
        registered_at=reseller.registered_at,
    )


def subscription_read(view: SubscriptionView) -> SubscriptionRead:
    s = view.subscription
    pending = view.pending
    return SubscriptionRead(
        id=s.id,
        reseller_id=s.reseller_id,
        product_id=s.product_id,
        current_product_id=view.current_product_id,
        current_tier=view.current_version.tier if view.current_version else None,
        current_product_name=view.current_version.name if view.current_version else None,
        status=s.status,  # type: ignore[arg-type]
        kind=s.kind,  # type: ignore[arg-type]
        billing_currency=s.billing_currency,
        started_at=s.started_at,
        trial_days=trial_length_days(s.started_at, s.trial_ends_at) if s.trial_ends_at else None,
        trial_ends_at=s.trial_ends_at,
        trial_last_day=trial_last_day(s.trial_ends_at) if s.trial_ends_at else None,
        auto_convert=s.auto_convert,
        paid_from=s.paid_from,
        ramp_up_cycles=s.ramp_up_cycles,
        ramp_up_first_period=s.ramp_up_first_period,
        ends_at=s.ends_at,
        billed_elsewhere_through=s.billed_elsewhere_through,
        pending_change=PendingChange(
            to_product_id=pending.to_product_id, direction=pending.direction, effective_from=pending.effective_from
        )
        if pending
        else None,
    )


def preview_read(view: TierChangeView, target_id: str) -> TierChangePreview:
    planned = view.decision.planned
    return TierChangePreview(
        allowed=planned is not None,
        refusals=[RefusalRead(rule=r.code, field=r.field, message=r.message) for r in view.decision.refusals],
        direction=planned.direction if planned else None,
        effective_from=planned.effective_from if planned else None,
        from_product_id=planned.from_product_id if planned else None,
        from_tier=planned.from_tier if planned else None,
        to_product_id=target_id,
        to_tier=planned.to_tier if planned else None,
        from_commitment=Commitment(amount=planned.from_commitment[0], currency=planned.from_commitment[1])
        if planned
        else None,
        to_commitment=Commitment(amount=planned.to_commitment[0], currency=planned.to_commitment[1])
        if planned
        else None,
        replaces=[
            PendingChange(to_product_id=r.to_product_id, direction=r.direction, effective_from=r.effective_from)
            for r in view.replaces
        ],
    )
