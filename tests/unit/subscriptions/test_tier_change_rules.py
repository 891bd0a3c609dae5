"""Tier changes (DOMAIN "Upgrade / downgrade", billing conventions): paths, periods and replacement."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from subscriptions.domain.catalog_model import Product
from subscriptions.domain.ordering import ResellerFacts
from subscriptions.domain.tier_changes import (
    ScheduledChange,
    TierChangeDecision,
    TierPolicy,
    decide_tier_change,
    replaced_by,
    tier_in_force,
)
from tests.unit.subscriptions.catalog_fixtures import T1000, T2000, TIER0, TIER1, catalog

PRODUCTS = catalog()
DEFAULT = TierPolicy()


def decide(
    current: str,
    target: str,
    at: datetime,
    *,
    country: str = "DE",
    since: date = date(2019, 1, 1),
    status: str = "active",
    products: dict[str, Product] | None = None,
    policy: TierPolicy = DEFAULT,
) -> TierChangeDecision:
    catalog_now = products or PRODUCTS
    return decide_tier_change(
        status=status,
        current=catalog_now[current],
        target=catalog_now.get(target),
        reseller=ResellerFacts("r-1", "active", country, since, "USD"),
        requested_at=at,
        policy=policy,
    )


def test_upgrade_on_the_31st_applies_to_that_month() -> None:
    decision = decide(T1000, T2000, datetime(2024, 1, 31, 23, 59, tzinfo=UTC))
    assert decision.planned is not None
    assert (decision.planned.direction, decision.planned.effective_from) == ("upgrade", date(2024, 1, 1))
    assert decision.planned.from_commitment == (Decimal(1000), "USD")
    assert decision.planned.to_commitment == (Decimal(2000), "USD")


def test_downgrade_on_the_1st_applies_to_the_next_month() -> None:
    decision = decide(T2000, T1000, datetime(2024, 2, 1, 0, 0, tzinfo=UTC))
    assert decision.planned is not None
    assert (decision.planned.direction, decision.planned.effective_from) == ("downgrade", date(2024, 3, 1))


def test_timing_is_configurable() -> None:
    policy = TierPolicy(upgrade="next_period", downgrade="current_period")
    up = decide(T1000, T2000, datetime(2024, 1, 15, tzinfo=UTC), policy=policy)
    down = decide(T2000, T1000, datetime(2024, 1, 15, tzinfo=UTC), policy=policy)
    assert up.planned is not None
    assert up.planned.effective_from == date(2024, 2, 1)
    assert down.planned is not None
    assert down.planned.effective_from == date(2024, 1, 1)


def test_tier_names_in_a_change_are_those_valid_on_the_request_date() -> None:
    before = decide(T1000, T2000, datetime(2023, 12, 15, tzinfo=UTC)).planned
    after = decide(T1000, T2000, datetime(2024, 1, 15, tzinfo=UTC)).planned
    assert before is not None
    assert (before.from_tier, before.to_tier) == ("Tier 2", "Tier 3")
    assert after is not None
    assert (after.from_tier, after.to_tier) == ("Tier 3", "Tier 4")


def test_a_change_to_the_same_tier_is_refused() -> None:
    assert [r.code for r in decide(T1000, T1000, datetime(2024, 1, 15, tzinfo=UTC)).refusals] == ["same_tier"]


def test_downgrade_to_tier_1_refused_to_a_new_gb_partner() -> None:
    decision = decide(T1000, TIER1, datetime(2024, 3, 5, tzinfo=UTC), country="GB", since=date(2024, 1, 1))
    assert [r.code for r in decision.refusals] == ["region_rule"]


def test_downgrade_to_tier_1_refused_to_a_new_partner_whose_country_is_written_in_lower_case() -> None:
    decision = decide(T1000, TIER1, datetime(2024, 3, 5, tzinfo=UTC), country="gb", since=date(2024, 1, 1))
    assert [r.code for r in decision.refusals] == ["region_rule"]


def test_downgrade_to_tier_1_allowed_to_a_2019_gb_partner() -> None:
    decision = decide(T1000, TIER1, datetime(2024, 3, 5, tzinfo=UTC), country="GB", since=date(2019, 1, 1))
    assert decision.refusals == []
    assert decision.planned is not None


def test_a_change_to_a_deactivated_product_is_refused() -> None:
    products = dict(PRODUCTS)
    old = PRODUCTS[T2000]
    products[T2000] = Product(T2000, old.versions, deactivated_from=date(2024, 2, 1))
    decision = decide(T1000, T2000, datetime(2024, 2, 10, tzinfo=UTC), products=products)
    assert [r.code for r in decision.refusals] == ["product_deactivated"]


def test_a_change_outside_the_upgrade_paths_is_refused() -> None:
    products = dict(PRODUCTS)
    products[TIER0] = Product(TIER0, [replace(v, upgrade_product_ids=frozenset()) for v in PRODUCTS[TIER0].versions])
    decision = decide(TIER0, T2000, datetime(2024, 2, 10, tzinfo=UTC), products=products)
    assert [r.code for r in decision.refusals] == ["outside_upgrade_paths"]


def test_only_an_active_subscription_changes_tier() -> None:
    decision = decide(T1000, T2000, datetime(2024, 2, 10, tzinfo=UTC), status="suspended")
    assert [r.code for r in decision.refusals] == ["subscription_state"]


def test_a_second_change_in_a_period_replaces_the_pending_one() -> None:
    pending = [ScheduledChange(TIER1, date(2024, 3, 1))]
    assert replaced_by(date(2024, 3, 1), pending) == pending


def test_an_upgrade_cancels_a_pending_downgrade() -> None:
    pending = [ScheduledChange(TIER1, date(2024, 3, 1))]
    assert replaced_by(date(2024, 2, 1), pending) == pending
    assert tier_in_force(T1000, [ScheduledChange(T2000, date(2024, 2, 1))], date(2024, 3, 1)) == T2000


def test_a_change_never_rewrites_an_earlier_period() -> None:
    earlier = [ScheduledChange(T2000, date(2024, 1, 1))]
    assert replaced_by(date(2024, 2, 1), earlier) == []
    assert tier_in_force(T1000, earlier, date(2023, 12, 1)) == T1000


@given(st.lists(st.tuples(st.sampled_from([TIER0, TIER1, T1000, T2000]), st.integers(0, 24)), max_size=8))
def test_the_tier_of_a_period_is_the_latest_change_effective_on_or_before_it(
    changes: list[tuple[str, int]],
) -> None:
    scheduled = [ScheduledChange(p, date(2023 + m // 12, m % 12 + 1, 1)) for p, m in changes]
    period = date(2024, 1, 1)
    due = [c for c in scheduled if c.effective_from <= period]
    expected = max(due, key=lambda c: c.effective_from).to_product_id if due else T1000
    if len({c.effective_from for c in due}) == len(due):
        assert tier_in_force(T1000, scheduled, period) == expected


@given(st.datetimes(datetime(2024, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)))  # noqa: DTZ001 (naive bounds, aware values)
def test_an_upgrade_applies_to_the_month_of_the_request_and_a_downgrade_from_the_next(at: datetime) -> None:
    up, down = decide(T1000, T2000, at).planned, decide(T2000, T1000, at).planned
    assert up is not None
    assert down is not None
    assert up.effective_from == at.date().replace(day=1)
    assert down.effective_from == (at.date().replace(day=1) + timedelta(days=32)).replace(day=1)
