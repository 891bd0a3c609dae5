"""Background tasks (`bss.background`): enabled ones run, disabled ones never start, a crash restarts the task
after a pause, and shutdown cancels them in reverse order of start, each awaited before the next."""

from __future__ import annotations

import asyncio

import pytest

from bss.background import BackgroundTask, start_background, stop_background

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _loop(name: str, journal: list[str]) -> BackgroundTask:
    async def run() -> None:
        journal.append(f"start {name}")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.sleep(0.01)  # a task may clean up; the next is cancelled only once this one is done
            journal.append(f"stop {name}")
            raise

    return BackgroundTask(name, run)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_tasks_start_in_order_and_stop_in_reverse_order_each_awaited() -> None:
    journal: list[str] = []
    running = start_background([_loop("first", journal), _loop("second", journal), _loop("third", journal)])
    await _settle()
    assert journal == ["start first", "start second", "start third"]
    assert [task.get_name() for task in running] == ["first", "second", "third"]

    await stop_background(running)

    assert journal[3:] == ["stop third", "stop second", "stop first"]
    assert all(task.cancelled() for task in running)


async def test_a_disabled_task_never_runs() -> None:
    journal: list[str] = []
    off = BackgroundTask("off", _loop("off", journal).run, enabled=False)
    running = start_background([off, _loop("on", journal)])
    await _settle()
    await stop_background(running)
    assert [task.get_name() for task in running] == ["on"]
    assert journal == ["start on", "stop on"]


async def test_a_crashed_task_is_restarted_after_a_growing_pause() -> None:
    starts: list[float] = []
    third_start = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def crashes_twice() -> None:
        starts.append(loop.time())
        if len(starts) <= 2:
            raise RuntimeError("boom")
        third_start.set()
        await asyncio.Event().wait()

    running = start_background([BackgroundTask("flaky", crashes_twice)], first_pause_s=0.05, max_pause_s=1.0)
    async with asyncio.timeout(5):
        await third_start.wait()
    await stop_background(running)
    first_pause, second_pause = starts[1] - starts[0], starts[2] - starts[1]
    assert first_pause >= 0.05
    assert second_pause >= 0.1  # doubled
    assert len(starts) == 3


async def test_a_task_that_returns_is_not_restarted() -> None:
    runs: list[int] = []

    async def once() -> None:
        runs.append(1)

    running = start_background([BackgroundTask("once", once)], first_pause_s=0.01)
    await asyncio.sleep(0.05)
    assert runs == [1]
    assert running[0].done()
    await stop_background(running)


async def test_stopping_is_not_swallowed_when_the_shutdown_itself_is_cancelled() -> None:
    journal: list[str] = []
    running = start_background([_loop("slow", journal)])
    await _settle()
    stopper = asyncio.create_task(stop_background(running))
    await asyncio.sleep(0)
    stopper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopper
    running[0].cancel()
    with pytest.raises(asyncio.CancelledError):
        await running[0]
