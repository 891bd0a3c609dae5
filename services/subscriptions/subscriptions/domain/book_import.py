"""The rules of the book import: what a line may say, and what a re-import of the same source id may change
(docs/domain.md, "Importing an existing book")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from bss.calendar_months import is_period, period_containing, period_of

ImportedKind = Literal["reseller", "subscription"]
"""What an imported record became: the `imported_records.kind` values."""
LineStatus = Literal["created", "changed", "unchanged", "conflict", "refused"]
"""A line's verdict: created here; its billing profile changed; already imported as it is; already imported with
other facts an import cannot change; or refused (the problem says why)."""

MAX_LINES_PER_IMPORT = 2000
"""Resellers and subscriptions of one request, together (a dry run sees the lines of its own request only)."""

RESELLER_PROFILE_FIELDS = frozenset(
    {
        "legal_name",
        "billing_email",
        "billing_address",
        "tax_id",
        "billing_currency",
        "price_list_currency",
        "payment_terms_days",
        "locale",
    }
)
"""The reseller facts a re-import changes, as a billing profile change; the others (country, partner_since,
contract_signed_on, registered_at, the kept id) are what the reseller is and make a differing re-import a conflict."""
LINE_ONLY_FIELDS = frozenset({"profile_effective_from"})
"""Fields that say how to apply a line, not what the record is: never compared."""


def changed_fields(imported: Mapping[str, Any], line: Mapping[str, Any]) -> list[str]:
    """The fields whose values differ between the line as imported before and now, in name order."""
    names = (set(imported) | set(line)) - LINE_ONLY_FIELDS
    return sorted(name for name in names if imported.get(name) != line.get(name))


def reseller_reimport(imported: Mapping[str, Any], line: Mapping[str, Any]) -> tuple[LineStatus, list[str]]:
    """A reseller imported again: unchanged, a profile change, or a conflict naming the fields an import cannot
    change."""
    fields = changed_fields(imported, line)
    if not fields:
        return "unchanged", []
    fixed = [name for name in fields if name not in RESELLER_PROFILE_FIELDS]
    return ("conflict", fixed) if fixed else ("changed", fields)


def subscription_reimport(imported: Mapping[str, Any], line: Mapping[str, Any]) -> tuple[LineStatus, list[str]]:
    """A subscription imported again is unchanged, or a conflict: its tier, start and invoiced periods change
    through the subscription API (tier changes, cancellation), not an import."""
    fields = changed_fields(imported, line)
    return ("conflict", fields) if fields else ("unchanged", [])


def billed_through_problem(started_at: datetime, billed_through: date | None, today: date) -> str | None:
    """`billed_through` names a month another system invoiced: the first day of a month, not before the
    subscription's first month, and one that has ended (before today's month)."""
    if billed_through is None:
        return None
    if not is_period(billed_through):
        return "the first day of the last month invoiced elsewhere, e.g. 2026-11-01"
    if billed_through < period_of(started_at):
        return f"before the subscription's first month ({period_of(started_at).isoformat()})"
    if billed_through >= period_containing(today):
        return f"a month that has not ended yet (today is {today.isoformat()})"
    return None
