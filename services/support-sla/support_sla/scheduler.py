"""The breach scheduler: raises SLA warnings and breaches at their exact time, once per target per ticket.

It sleeps until the earliest pending warning, breach or certification expiry (or until a use case changed
due times: `runtime.wakeup(SLA_DUE_TIMES)`, or `scheduler_max_sleep_s` so it sees other replicas' tickets), then
runs the use case that claims what is due (`usecases.sla_alerts`, which owns the transaction and the
replica-safety).
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from bss.background import BackgroundTask
from bss.usecase import UseCase
from support_sla.runtime import SLA_DUE_TIMES, SupportRuntime
from support_sla.usecases.sla_alerts import BATCH, raise_due, seconds_to_next_due

log = structlog.get_logger("support_sla.scheduler")
SCHEDULER = "sla_scheduler"


def background_tasks(runtime: SupportRuntime) -> list[BackgroundTask]:
    """The support service's background work: the breach scheduler, unless `scheduler_enabled` is off."""
    scheduler = BreachScheduler(runtime)
    return [BackgroundTask("support-sla-scheduler", scheduler.run, enabled=runtime.settings.scheduler_enabled)]


class BreachScheduler:
    def __init__(self, runtime: SupportRuntime) -> None:
        self._runtime = runtime

    async def run(self) -> None:
        """Raise what is due, then sleep until the next due instant; until cancelled at shutdown (a tick cut
        short rolls back, and its rows are claimed again at the next one, here or on another replica)."""
        due_times_changed = self._runtime.wakeup(SLA_DUE_TIMES)
        while True:
            try:
                while await self.tick() >= BATCH:
                    pass
                pause = await self.seconds_to_next()
            except Exception:
                log.exception("scheduler tick failed; retrying")
                pause = 1.0
            due_times_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(due_times_changed.wait(), timeout=pause)

    async def tick(self) -> int:
        """One pass: warnings, breaches and certification expiries due by now. Returns rows handled."""
        return await raise_due(UseCase.system(self._runtime, SCHEDULER))

    async def seconds_to_next(self) -> float:
        """Seconds until the earliest pending warning, breach or certification expiry (capped)."""
        return await seconds_to_next_due(self._runtime)
