"""Access log and metrics of proxied calls: one JSON line per request, written in batches.

A line per request written straight to stderr costs a system call each; lines are buffered and flushed
every 200 ms (and at shutdown), which keeps the log off the proxy's CPU budget.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from prometheus_client import Counter, Histogram

from bss.metrics import HTTP_LATENCY, HTTP_REQUESTS

_FLUSH_S = 0.2


class AccessLog:
    def __init__(self, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self._stream = stream
        self._lines: list[str] = []
        self._flush: asyncio.TimerHandle | None = None
        self._requests: dict[tuple[str, int], Counter] = {}
        self._latency: Histogram = HTTP_LATENCY.labels("gateway")
        self._second = 0
        self._second_text = ""

    def record(self, scope: dict[str, Any], status: int, request_id: bytes, elapsed_s: float, subject: str) -> None:
        """Count, time and (when enabled) log one proxied request."""
        method: str = scope["method"]
        counter = self._requests.get((method, status))
        if counter is None:
            counter = self._requests[(method, status)] = HTTP_REQUESTS.labels("gateway", method, str(status))
        counter.inc()
        self._latency.observe(elapsed_s)
        if not self.enabled:
            return
        path: str = scope["path"]
        client = scope.get("client") or ("-",)
        self._lines.append(
            f'{{"event": "access", "timestamp": "{self._timestamp()}", '
            f'"request_id": {_quoted(request_id.decode("latin-1"))}, "method": "{method}", '
            f'"path": {_quoted(path)}, "status": {status}, "duration_ms": {elapsed_s * 1000:.2f}, '
            f'"caller": {_quoted(subject)}, "client": {_quoted(str(client[0]))}}}'
        )
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(_FLUSH_S, self.flush)

    def _timestamp(self) -> str:
        """ISO 8601 UTC with milliseconds; the part up to the second is formatted once a second."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._second_text}.{int((now - second) * 1000):03d}Z"

    def flush(self) -> None:
        self._flush = None
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        stream = self._stream or sys.stderr
        stream.write("\n".join(lines) + "\n")
        stream.flush()


def _quoted(text: str) -> str:
    """`text` as a JSON string; the common case (nothing to escape) without calling json."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text)
