"""Waiting for what crosses the broker asynchronously: poll a check instead of sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout_s: float = 30.0, what: str = "condition", every_s: float = 0.05
) -> Any:
    """Poll `check` until it returns something truthy, and return that; fail naming `what` at the timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(every_s)
