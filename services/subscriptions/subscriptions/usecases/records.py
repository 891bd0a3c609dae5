"""What use cases hand back: frozen snapshots of the rows they read or wrote, so no caller holds an ORM row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from subscriptions.models import Reseller, Subscription, TierChangeRow


@dataclass(frozen=True, slots=True)
class ResellerRecord:
    id: str
    legal_name: str
    billing_email: str
    billing_address: dict[str, Any]
    country: str
    partner_since: date
    billing_currency: str
    contract_signed_on: date
    tax_id: str | None
    status: str
    ramp_up_cycles: int | None
    registered_at: datetime


def reseller_record(row: Reseller) -> ResellerRecord:
    return ResellerRecord(
        id=row.id,
        legal_name=row.legal_name,
        billing_email=row.billing_email,
        billing_address=row.billing_address,
        country=row.country,
        partner_since=row.partner_since,
        billing_currency=row.billing_currency,
        contract_signed_on=row.contract_signed_on,
        tax_id=row.tax_id,
        status=row.status,
        ramp_up_cycles=row.ramp_up_cycles,
        registered_at=row.registered_at,
    )


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: str
    reseller_id: str
    product_id: str
    exclusion_set: str
    status: str
    kind: str
    billing_currency: str
    started_at: datetime
    trial_ends_at: datetime | None
    auto_convert: bool
    paid_from: datetime | None
    ramp_up_cycles: int
    ramp_up_scope: str | None
    ramp_up_first_period: date | None
    ends_at: datetime | None
    cancel_reason: str | None
    created_at: datetime
    billed_elsewhere_through: date | None = None


def subscription_record(row: Subscription) -> SubscriptionRecord:
    return SubscriptionRecord(
        id=row.id,
        reseller_id=row.reseller_id,
        product_id=row.product_id,
        exclusion_set=row.exclusion_set,
        status=row.status,
        kind=row.kind,
        billing_currency=row.billing_currency,
        started_at=row.started_at,
        trial_ends_at=row.trial_ends_at,
        auto_convert=row.auto_convert,
        paid_from=row.paid_from,
        ramp_up_cycles=row.ramp_up_cycles,
        ramp_up_scope=row.ramp_up_scope,
        ramp_up_first_period=row.ramp_up_first_period,
        ends_at=row.ends_at,
        cancel_reason=row.cancel_reason,
        created_at=row.created_at,
        billed_elsewhere_through=row.billed_elsewhere_through,
    )


@dataclass(frozen=True, slots=True)
class TierChangeRecord:
    """A scheduled tier change: the tier is `to_product_id` from `effective_from` on."""

    from_product_id: str
    to_product_id: str
    direction: str
    effective_from: date


def tier_change_record(row: TierChangeRow) -> TierChangeRecord:
    return TierChangeRecord(
        from_product_id=row.from_product_id,
        to_product_id=row.to_product_id,
        direction=row.direction,
        effective_from=row.effective_from,
    )
