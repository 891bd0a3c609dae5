"""problem+json answers of the proxy hot path, without framework objects: as ASGI messages (`send_problem`) or as
a status, headers and body to write straight to the connection (`problem_answer`)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from bss.problems import PROBLEM_JSON, TYPE_BASE

_CONTENT_TYPE = (b"content-type", PROBLEM_JSON.encode())


def problem_answer(
    status: int, type_: str, title: str, detail: str, *, headers: Iterable[tuple[bytes, bytes]] = (), **extra: str
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and RFC 9457 body of a problem answer (`headers` added after the content headers)."""
    body = json.dumps({"type": TYPE_BASE + type_, "title": title, "status": status, "detail": detail, **extra}).encode()
    return [_CONTENT_TYPE, (b"content-length", str(len(body)).encode()), *headers], body


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
    all_headers, body = problem_answer(status, type_, title, detail, headers=headers, **extra)
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status
