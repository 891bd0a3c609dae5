"""Background tasks: the loops a service runs beside its API (its schedulers), declared the same way everywhere.

A service lists them in `ServiceDefinition.background`, a function of its runtime. `create_service_app` starts
them once the database is open (and migrated), keeps each alive (a crash is logged and the task restarts after a
pause that doubles up to `max_pause_s`), and at shutdown cancels them in reverse order, awaiting each, before the
messaging and the database stop. A task's own errors it can retry (a failed month close, a failed sweep) it logs
and retries itself; what reaches this module is a crash of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger("bss.background")
FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 30.0


@dataclass(frozen=True, slots=True)
class BackgroundTask:
    """A named loop: `run` makes a fresh coroutine at each (re)start; `enabled=False` declares it switched off."""

    name: str
    run: Callable[[], Coroutine[Any, Any, None]]
    enabled: bool = True


def start_background(
    tasks: Sequence[BackgroundTask], *, first_pause_s: float = FIRST_PAUSE_S, max_pause_s: float = MAX_PAUSE_S
) -> list[asyncio.Task[None]]:
    """Start the enabled tasks in the order given; returns them running, in that order."""
    running: list[asyncio.Task[None]] = []
    for task in tasks:
        if not task.enabled:
            log.info("background task disabled", task=task.name)
            continue
        running.append(asyncio.create_task(_keep_running(task, first_pause_s, max_pause_s), name=task.name))
    return running


async def stop_background(running: Sequence[asyncio.Task[None]]) -> None:
    """Cancel the tasks in reverse order of start, each awaited before the next is cancelled."""
    for task in reversed(running):
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the shutdown itself is being cancelled, not just the task we stopped


async def _keep_running(task: BackgroundTask, first_pause_s: float, max_pause_s: float) -> None:
    pause = first_pause_s
    while True:
        try:
            await task.run()
        except Exception:
            log.exception("background task crashed; restarting", task=task.name, pause_s=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, max_pause_s)
        else:
            log.info("background task finished", task=task.name)
            return
