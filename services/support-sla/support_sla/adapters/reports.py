"""The Tier 1 program's reports A-E (seed 000), with mean, median, 90th percentile and SLA attainment.

They read rollups kept in the transaction that changes a ticket (`report_rollups.py`, docs/decisions/0020): per
reseller, and per reseller and month (A), per country and month (B), per day of the open cases (C), per day and
duration bucket (D, E). A period adds up the
rollup rows of the whole days or months it covers and reads the tickets of its edges; the figures are the ones a
query over every ticket gives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from support_sla.adapters.report_durations import FIRST_RESPONSE, RESOLUTION, duration_stats
from support_sla.adapters.report_open_cases import open_case_ages
from support_sla.adapters.report_resolutions import by_region_month, by_reseller
from support_sla.adapters.report_stats_rows import Period, stats_row

__all__ = ["REPORTS", "Period", "report_a", "report_b", "report_c", "report_d", "report_e"]

REPORTS = {
    "a": "cases per reseller",
    "b": "cases per region by month",
    "c": "age of open cases",
    "d": "time to initial reply",
    "e": "resolution time by severity",
}


async def report_a(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """(A) Cases per reseller, with resolution time (count = resolved cases) and its SLA attainment."""
    return await by_reseller(session, period)


async def report_b(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """(B) Cases per region (the reseller's country) by month, with resolution time and SLA attainment."""
    return await by_region_month(session, period)


async def report_c(session: AsyncSession, period: Period, now: datetime) -> list[dict[str, Any]]:
    """(C) Age of open cases at `now`, in buckets, with mean, median and p90 age."""
    return await open_case_ages(session, period, now)


async def report_d(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """(D) Time to initial reply, with first-response SLA attainment."""
    rows = await duration_stats(session, period, FIRST_RESPONSE)
    return rows or [stats_row([], [], 0, 0, None, None, None, 0)]


async def report_e(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """(E) Resolution time by severity (paused time excluded), with permanent-resolution SLA attainment."""
    return await duration_stats(session, period, RESOLUTION)
