"""The trial scheduler: a loop that runs the trial sweep every `trial_sweep_interval_s` on every replica.

Running on several replicas at once is safe (see `usecases.lifecycle.sweep_trials`); a failed sweep is logged
and retried at the next tick. It runs as the service's background task (`bss.background`).
"""

from __future__ import annotations

import asyncio

import structlog

from bss.background import BackgroundTask
from bss.usecase import UseCase
from subscriptions.runtime import SubscriptionsRuntime
from subscriptions.usecases.lifecycle import sweep_trials

log = structlog.get_logger("subscriptions.scheduler")


def background_tasks(runtime: SubscriptionsRuntime) -> list[BackgroundTask]:
    """The subscriptions service's background work: the trial scheduler."""
    return [BackgroundTask("trial-scheduler", lambda: run_trial_scheduler(runtime))]


async def run_trial_scheduler(runtime: SubscriptionsRuntime) -> None:
    interval = runtime.settings.trial_sweep_interval_s
    while True:
        try:
            result = await sweep_trials(UseCase.system(runtime, "trial-scheduler", runtime.clock.now()))
            if result.expired or result.converted:
                log.info("trials swept", expired=result.expired, converted=result.converted)
        except Exception:
            log.exception("trial sweep failed; retrying at the next tick")
        await asyncio.sleep(interval)
