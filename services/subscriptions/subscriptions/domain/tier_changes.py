"""Tier changes: upgrade and downgrade paths, the period a change applies to, and what replaces what."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from bss.availability import new_partner_refused
from bss.calendar_months import next_period, period_of
from bss.events.contracts.subscriptions import TierChangeDirection
from subscriptions.domain.catalog_model import Product, ProductVersion, is_downgrade, is_upgrade
from subscriptions.domain.lifecycle import transition_refusal
from subscriptions.domain.ordering import Refusal, ResellerFacts

Timing = Literal["current_period", "next_period"]
Direction = TierChangeDirection


@dataclass(frozen=True, slots=True)
class TierPolicy:
    """When changes apply; defaults: an upgrade to the current period, a downgrade from the next (configurable)."""

    upgrade: Timing = "current_period"
    downgrade: Timing = "next_period"


@dataclass(frozen=True, slots=True)
class ScheduledChange:
    """A tier change in force (not replaced): the tier is `to_product_id` from `effective_from` on."""

    to_product_id: str
    effective_from: date


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """What a requested change would do: from, to, direction, first period, and the two commitments."""

    from_product_id: str
    from_tier: str
    to_product_id: str
    to_tier: str
    direction: Direction
    effective_from: date
    from_commitment: tuple[Decimal, str]
    to_commitment: tuple[Decimal, str]


@dataclass(frozen=True, slots=True)
class TierChangeDecision:
    planned: PlannedChange | None
    refusals: list[Refusal]


def tier_in_force(original_product_id: str, changes: Sequence[ScheduledChange], period: date) -> str:
    """The tier of a period: the latest change effective on or before it, else the product ordered."""
    product_id = original_product_id
    for change in sorted(changes, key=lambda c: c.effective_from):
        if change.effective_from <= period:
            product_id = change.to_product_id
    return product_id


def replaced_by(new_effective_from: date, changes: Sequence[ScheduledChange]) -> list[ScheduledChange]:
    """A change replaces every change effective on or after its own period: a second change in a period
    replaces the pending one, and an upgrade cancels a pending downgrade (DOMAIN: Upgrade / downgrade)."""
    return [c for c in changes if c.effective_from >= new_effective_from]


def effective_period(direction: Direction, requested_at: datetime, policy: TierPolicy) -> date:
    """An upgrade applies to the billing period of the request, a downgrade from the next (defaults, configurable)."""
    timing = policy.upgrade if direction == "upgrade" else policy.downgrade
    period = period_of(requested_at)
    return period if timing == "current_period" else next_period(period)


def _direction(current: ProductVersion, target: ProductVersion) -> Direction | None:
    if is_upgrade(current, target.product_id):
        return "upgrade"
    if is_downgrade(current.product_id, target):
        return "downgrade"
    return None


def _target_refusals(
    target: Product, version: ProductVersion, reseller: ResellerFacts, on: date, effective_from: date
) -> list[Refusal]:
    refusals: list[Refusal] = []
    if target.deactivated_on(on) or target.deactivated_on(effective_from):
        refusals.append(Refusal("product_deactivated", "product_id", f"{version.name} is deactivated."))
    if new_partner_refused(version.new_partner_rule, reseller.partner):
        refusals.append(
            Refusal(
                "region_rule",
                "product_id",
                f"Moving to {version.tier} is refused for new partners in {reseller.country}.",
            )
        )
    return refusals


def decide_tier_change(
    *,
    status: str,
    current: Product,
    target: Product | None,
    reseller: ResellerFacts,
    requested_at: datetime,
    policy: TierPolicy,
) -> TierChangeDecision:
    """Plan a move from the tier in force now to `target`, or refuse it: not active, unknown or same tier,
    deactivated target, region rule for new partners, or outside the upgrade paths (DOMAIN; seed 003)."""
    on = requested_at.astimezone(UTC).date()
    state_problem = transition_refusal(status, "change_tier")
    refusals = [Refusal("subscription_state", "subscription_id", state_problem)] if state_problem else []
    if target is None:
        return TierChangeDecision(None, [*refusals, Refusal("product_unknown", "product_id", "No such product.")])
    if target.product_id == current.product_id:
        same = Refusal("same_tier", "product_id", "The subscription is already on this tier.")
        return TierChangeDecision(None, [*refusals, same])
    current_version, target_version = current.named_as_of(on), target.as_of(on)
    if target_version is None or current_version is None:
        missing = Refusal("product_not_yet_available", "product_id", f"Not in the catalog on {on}.")
        return TierChangeDecision(None, [*refusals, missing])
    direction = _direction(current_version, target_version)
    if direction is None:
        message = f"{target_version.tier} is neither an upgrade nor a downgrade of {current_version.tier}."
        refusals.append(Refusal("outside_upgrade_paths", "product_id", message))
    effective_from = effective_period(direction or "upgrade", requested_at, policy)
    refusals += _target_refusals(target, target_version, reseller, on, effective_from)
    if refusals or direction is None:
        return TierChangeDecision(None, refusals)
    currency = reseller.billing_currency
    planned = PlannedChange(
        from_product_id=current.product_id,
        from_tier=current_version.tier,
        to_product_id=target.product_id,
        to_tier=target_version.tier,
        direction=direction,
        effective_from=effective_from,
        from_commitment=current_version.commitment(currency),
        to_commitment=target_version.commitment(currency),
    )
    return TierChangeDecision(planned, [])
