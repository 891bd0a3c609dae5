"""The month-close scheduler: from the 1st (after a grace period for the last day's usage), close last month.

Closing is idempotent, so the scheduler simply runs the close for the previous month at every check: on the
1st it invoices everything, afterwards it finds nothing left (or a subscription that became billable late).
Several replicas may run it at once; the unique (subscription, period) constraint keeps each invoice single.
It runs as the service's background task (`bss.background`) unless `month_close_scheduler` is off.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from billing.adapters.usage_store import UsageStore
from billing.runtime import BillingRuntime
from billing.usecases.month_close import close_month, previous_month
from bss.background import BackgroundTask
from bss.usecase import UseCase

log = structlog.get_logger("billing.scheduler")


def background_tasks(runtime: BillingRuntime, store: UsageStore) -> list[BackgroundTask]:
    """Billing's background work: the month-close scheduler, when enabled (`store`: the database's usage store)."""
    return [
        BackgroundTask(
            "billing-month-close",
            lambda: run_scheduler(runtime, store),
            enabled=runtime.settings.month_close_scheduler,
        )
    ]


async def run_scheduler(runtime: BillingRuntime, store: UsageStore) -> None:
    settings = runtime.settings
    while True:
        now = runtime.clock.now()
        period = previous_month(now - timedelta(seconds=settings.month_close_grace_s))
        try:
            summary = await close_month(UseCase.system(runtime, "month_close", now), store, period)
            if summary.invoiced or summary.failed:
                log.info("month closed", period=str(period), invoiced=summary.invoiced, failed=len(summary.failed))
        except Exception:
            log.exception("scheduled month close failed; retrying at the next check")
        await asyncio.sleep(settings.month_close_check_interval_s)
