"""The Tier 1 program's reports A-E (seed 000) as one read use case: the SQL lives in `adapters.reports`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from support_sla.adapters.reports import REPORTS, Period, report_a, report_b, report_c, report_d, report_e
from support_sla.runtime import SupportRuntime

ReportName = Literal["a", "b", "c", "d", "e"]

__all__ = ["REPORTS", "Period", "Report", "ReportName", "run_report"]


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    as_of: datetime
    rows: list[dict[str, Any]]


async def run_report(runtime: SupportRuntime, report: ReportName, period: Period) -> Report:
    """One report over `period`, as of now (report C ages the cases still open now)."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        if report == "c":
            rows = await report_c(session, period, now)
        else:
            rows = await {"a": report_a, "b": report_b, "d": report_d, "e": report_e}[report](session, period)
    return Report(REPORTS[report], now, rows)
