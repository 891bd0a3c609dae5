"""Structured JSON logs with the request id and event id, and the request middleware that binds them."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bss.metrics import HTTP_LATENCY, HTTP_REQUESTS

REQUEST_ID_HEADER = b"x-request-id"
log = structlog.get_logger("bss.http")
_MAX_REQUEST_ID = 200


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """One JSON object per line on stderr, carrying contextvars such as `request_id` and `event_id`."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(message)s")
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class RequestContextMiddleware:
    """Accept or create `X-Request-ID`, bind it to the logs, echo it back, count and time the request.

    A raw ASGI middleware (not `BaseHTTPMiddleware`) so it adds microseconds, not a task per request.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        started_response = False

        async def send_tracking(message: Message) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            # Answer here, while the request id is bound: outer error middleware would have lost it.
            log.exception("unhandled error", path=scope.get("path"))
            if started_response:
                raise
            await _internal_error(send_with_id, request_id)
        finally:
            HTTP_REQUESTS.labels(self.service, scope["method"], str(status)).inc()
            HTTP_LATENCY.labels(self.service).observe(time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id")


async def _internal_error(send: Send, request_id: str) -> None:
    body = json.dumps(
        {
            "type": "https://bss.example/problems/internal-error",
            "title": "Internal error",
            "status": 500,
            "detail": "An unexpected error occurred; quote the request id.",
            "request_id": request_id,
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _incoming_request_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == REQUEST_ID_HEADER:
            text = bytes(value).decode("latin-1").strip()
            if 0 < len(text) <= _MAX_REQUEST_ID and text.isprintable():
                return text
    return None
