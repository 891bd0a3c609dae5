"""problem+json answers written straight to ASGI `send` (the proxy hot path has no framework objects)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from bss.problems import PROBLEM_JSON, TYPE_BASE

_CONTENT_TYPE = (b"content-type", PROBLEM_JSON.encode())


async def send_problem(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    status: int,
    type_: str,
    title: str,
    detail: str,
    *,
    headers: Iterable[tuple[bytes, bytes]] = (),
    **extra: str,
) -> int:
    """Answer `status` with an RFC 9457 body; returns the status."""
    body = json.dumps({"type": TYPE_BASE + type_, "title": title, "status": status, "detail": detail, **extra}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [_CONTENT_TYPE, (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status
