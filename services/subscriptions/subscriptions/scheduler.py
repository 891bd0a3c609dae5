"""The trial scheduler: a loop that runs the trial sweep every `trial_sweep_interval_s` on every replica.

Running on several replicas at once is safe (see `usecases.lifecycle.sweep_trials`); a failed sweep is logged
and retried at the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI

from bss.service_app import Runtime
from subscriptions.usecases.lifecycle import sweep_trials
from subscriptions.usecases.recording import settings_of

log = structlog.get_logger("subscriptions.scheduler")


async def run_trial_scheduler(runtime: Runtime) -> None:
    interval = settings_of(runtime).trial_sweep_interval_s
    while True:
        try:
            result = await sweep_trials(runtime, runtime.clock.now())
            if result.expired or result.converted:
                log.info("trials swept", expired=result.expired, converted=result.converted)
        except Exception:
            log.exception("trial sweep failed; retrying at the next tick")
        await asyncio.sleep(interval)


def with_trial_scheduler(
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Wrap the service lifespan so the scheduler runs while the app runs, and stops before the database."""

    @asynccontextmanager
    async def wrapped(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app):
            task = asyncio.create_task(run_trial_scheduler(app.state.runtime), name="trial-scheduler")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return wrapped
