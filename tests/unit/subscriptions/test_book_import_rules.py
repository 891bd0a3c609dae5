"""The book import's rules (docs/domain.md, "Importing an existing book"): what a re-import may change, and which
month may be the last one invoiced elsewhere."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from subscriptions.domain.book_import import (
    billed_through_problem,
    changed_fields,
    reseller_reimport,
    subscription_reimport,
)

RESELLER = {"legal_name": "A GmbH", "country": "DE", "payment_terms_days": 14, "locale": "de-DE", "tax_id": None}


def test_reimport_changed_fields_ignores_how_to_apply_a_line_and_lists_in_name_order() -> None:
    line = {**RESELLER, "locale": "en", "legal_name": "B GmbH", "profile_effective_from": "2025-01-01"}
    assert changed_fields(RESELLER, line) == ["legal_name", "locale"]
    assert changed_fields(RESELLER, {**RESELLER, "profile_effective_from": "2030-01-01"}) == []


def test_reimport_of_a_reseller_is_unchanged_a_profile_change_or_a_conflict() -> None:
    assert reseller_reimport(RESELLER, dict(RESELLER)) == ("unchanged", [])
    assert reseller_reimport(RESELLER, {**RESELLER, "payment_terms_days": 30}) == ("changed", ["payment_terms_days"])
    # the country is what the reseller is: a conflict names only what an import cannot change
    moved = {**RESELLER, "country": "AT", "payment_terms_days": 30}
    assert reseller_reimport(RESELLER, moved) == ("conflict", ["country"])


def test_reimport_of_a_subscription_is_unchanged_or_a_conflict() -> None:
    line = {"product": "p", "billed_through": "2026-10-01"}
    assert subscription_reimport(line, dict(line)) == ("unchanged", [])
    assert subscription_reimport(line, {**line, "billed_through": "2026-11-01"}) == ("conflict", ["billed_through"])


@pytest.mark.parametrize(
    ("billed_through", "problem"),
    [
        (None, None),
        (date(2026, 11, 1), None),
        (date(2024, 3, 1), None),  # the start month itself
        (date(2024, 2, 1), "before the subscription's first month"),
        (date(2026, 11, 15), "the first day"),
        (date(2026, 12, 1), "has not ended"),
        (date(2027, 1, 1), "has not ended"),
    ],
)
def test_billed_through_is_an_ended_month_from_the_subscriptions_first(
    billed_through: date | None, problem: str | None
) -> None:
    found = billed_through_problem(datetime(2024, 3, 15, 8, tzinfo=UTC), billed_through, date(2026, 12, 7))
    assert (found is None) if problem is None else (found is not None and problem in found)
