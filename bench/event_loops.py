"""Which asyncio event loop a benchmark runs on: uvloop by default, as uvicorn picks it for the services."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

LOOPS = ("uvloop", "asyncio")


def run_on(loop: str, main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a fresh loop of the named kind."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if loop == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    elif loop != "asyncio":
        raise ValueError(f"unknown event loop {loop!r}; choose one of {', '.join(LOOPS)}")
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
