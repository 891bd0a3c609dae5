"""Talking to the gateway: answers checked against the status expected, problems shown as the API wrote them,
and bounded polling for what reaches the other services through the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class DemoError(Exception):
    """The suite answered something the month cannot go on with."""


def expect(response: httpx.Response, status: int, doing: str) -> Any:
    """The JSON body of an answer with `status`; otherwise a DemoError naming what was tried and the problem."""
    if response.status_code != status:
        raise DemoError(f"{doing}: HTTP {response.status_code} from {response.request.url.path}: {problem(response)}")
    return response.json()


def problem(response: httpx.Response) -> str:
    """An RFC 9457 problem in one line: its title and detail (or the body as text)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and ("title" in body or "detail" in body):
        return " - ".join(str(body[part]) for part in ("title", "detail") if body.get(part))
    return response.text[:300]


async def poll(check: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 45.0, every_s: float = 0.1) -> T:
    """Call `check` until it returns something other than None or False, at most `timeout_s`; then fail
    naming `what` (the services learn from each other through the broker, so facts arrive a moment later)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        result = await check()
        if result is not None and result is not False:
            return result
        if loop.time() > deadline:
            raise DemoError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(every_s)
