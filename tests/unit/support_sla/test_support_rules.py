"""Incident quota, certification, escalation template, EOL policy and the Tier 1 program (seeds 000, 002)."""

from __future__ import annotations

from datetime import date

import pytest

from support_sla.domain.certification import certification_status, valid_until
from support_sla.domain.eol_policy import is_supported
from support_sla.domain.escalation import TEMPLATE_FIELDS, missing_template_fields
from support_sla.domain.incident_quota import contract_year, quota_position
from support_sla.domain.report_stats import age_bucket, attainment_percent, percentile
from support_sla.domain.tier_one import Engineer, StepRefused, check_step, compliance_gaps, engineers_required

SIGNED = date(2024, 1, 10)


def test_incidents_are_unlimited_for_30_days_after_signature() -> None:
    assert not quota_position(SIGNED, date(2024, 2, 8), 500).billable
    assert quota_position(SIGNED, date(2024, 2, 8), 0).unlimited


def test_after_30_days_20_incidents_per_contract_year() -> None:
    assert not quota_position(SIGNED, date(2024, 2, 9), 19).billable
    assert quota_position(SIGNED, date(2024, 2, 9), 20).billable


def test_contract_years_start_on_the_signature_anniversary() -> None:
    assert contract_year(SIGNED, date(2025, 1, 9)) == 1
    assert contract_year(SIGNED, date(2025, 1, 10)) == 2
    assert not quota_position(SIGNED, date(2025, 1, 10), 0).unlimited  # the 30 free days are the first year's


def test_certification_is_valid_18_months() -> None:
    assert valid_until(date(2024, 1, 15)) == date(2025, 7, 14)
    assert valid_until(date(2023, 8, 31)) == date(2025, 2, 27)


def test_reseller_is_certified_with_two_valid_certified_employees() -> None:
    status = certification_status([date(2024, 1, 15), date(2024, 3, 1)], date(2024, 6, 1))
    assert status.certified
    assert status.certified_engineers == 2
    assert status.valid_until == date(2025, 7, 14)  # the day the count falls below two


def test_one_certified_employee_is_not_enough() -> None:
    assert not certification_status([date(2024, 1, 15)], date(2024, 6, 1)).certified


def test_certification_expires_after_18_months() -> None:
    dates = [date(2024, 1, 15), date(2024, 3, 1)]
    assert certification_status(dates, date(2025, 7, 14)).certified
    expired = certification_status(dates, date(2025, 7, 15))
    assert not expired.certified
    assert expired.certified_engineers == 1


def test_escalation_lists_every_missing_template_field() -> None:
    assert set(missing_template_fields({})) == set(TEMPLATE_FIELDS)
    filled = {name: "x" for name in TEMPLATE_FIELDS} | {"contact": "  "}
    assert list(missing_template_fields(filled)) == ["contact"]


@pytest.mark.parametrize(
    ("build", "supported"),
    [("24.3.37719", True), ("24.2.1", True), ("24.1.9", True), ("23.12.5", False), ("22.0.1", False), ("25.0.1", True)],
)
def test_only_builds_no_older_than_two_prior_releases_are_supported(build: str, supported: bool) -> None:
    assert is_supported(build, ["23.12", "24.1", "24.2", "24.3"]) is supported


def test_one_engineer_per_50_accounts() -> None:
    assert engineers_required(50) == 1
    assert engineers_required(51) == 2
    assert engineers_required(0) == 1


def test_compliance_names_missing_engineers_and_english_speaker() -> None:
    gaps = compliance_gaps(120, [Engineer("Ana", frozenset({"de"}))])
    assert len(gaps) == 2
    assert "2 more" in gaps[0]
    assert compliance_gaps(40, [Engineer("Bo", frozenset({"en", "de"}))]) == []


def test_onboarding_steps_complete_in_order() -> None:
    with pytest.raises(StepRefused, match="step 1"):
        check_step(2, date(2024, 1, 1), {}, [])
    check_step(1, date(2024, 1, 1), {}, [])


def test_checkpoint_needs_at_least_two_months_of_mentoring() -> None:
    done = {1: date(2024, 1, 1), 2: date(2024, 1, 2), 3: date(2024, 1, 3), 4: date(2024, 1, 4), 5: date(2024, 1, 5)}
    with pytest.raises(StepRefused, match="2 months"):
        check_step(6, date(2024, 3, 4), done, [])
    check_step(6, date(2024, 3, 5), done, [])


def test_finished_needs_a_compliant_team() -> None:
    done = {i: date(2024, 1, i) for i in range(1, 6)} | {6: date(2024, 3, 10)}
    with pytest.raises(StepRefused, match="not compliant"):
        check_step(7, date(2024, 3, 11), done, ["an English speaker"])


def test_report_statistics() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10.0] * 3 + [100.0], 0.9) == pytest.approx(73.0)
    assert percentile([], 0.5) is None
    assert attainment_percent(2, 3) == 66.67
    assert age_bucket(3600) == "<1d"
    assert age_bucket(40 * 86400) == ">=30d"
