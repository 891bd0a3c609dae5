"""Waiting for what crosses the broker asynchronously: poll a check instead of sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bss.kafka import new_consumer


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


async def read_topic(
    bootstrap_servers: str, topic: str, expected: int, *, timeout_s: float = 20.0
) -> list[tuple[bytes, dict[str, bytes]]]:
    """Every message on `topic` from the start, as (value, headers); stops once `expected` arrived or at the
    timeout (so a test can also see that no more than `expected` came)."""
    reader = new_consumer(bootstrap_servers, topic, group_id=None, client_id="test-reader")
    await reader.start()
    found: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while len(found) < expected and loop.time() < deadline:
            batch = await reader.getmany(timeout_ms=300)
            for records in batch.values():
                found += [(r.value or b"", dict(r.headers or ())) for r in records]
    finally:
        await reader.stop()
    return found
