"""The month-close scheduler: from the 1st (after a grace period for the last day's usage), close last month.

Closing is idempotent, so the scheduler simply runs the close for the previous month at every check: on the
1st it invoices everything, afterwards it finds nothing left (or a subscription that became billable late).
Several replicas may run it at once; the unique (subscription, period) constraint keeps each invoice single.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import timedelta
from typing import Any

import structlog
from fastapi import FastAPI

from billing.month_close import close_month, previous_month
from billing.settings import BillingSettings
from bss.service_app import Runtime

log = structlog.get_logger("billing.scheduler")


async def run_scheduler(runtime: Runtime, settings: BillingSettings) -> None:
    while True:
        now = runtime.clock.now()
        period = previous_month(now - timedelta(seconds=settings.month_close_grace_s))
        try:
            summary = await close_month(runtime, period, now=now)
            if summary.invoiced or summary.failed:
                log.info("month closed", period=str(period), invoiced=summary.invoiced, failed=len(summary.failed))
        except Exception:
            log.exception("scheduled month close failed; retrying at the next check")
        await asyncio.sleep(settings.month_close_check_interval_s)


def with_scheduler(app: FastAPI, settings: BillingSettings) -> FastAPI:
    """Run the scheduler beside the service's own lifespan (after it has opened the database)."""
    if not settings.month_close_scheduler:
        return app
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            task = asyncio.create_task(run_scheduler(application.state.runtime, settings), name="billing-month-close")
            try:
                yield state
            finally:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan
    return app
