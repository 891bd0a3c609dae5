"""Access log and metrics of proxied calls: one JSON line per request, written in batches.

A line per request written straight to stderr costs a system call each; what a line says is kept, and the
lines are formatted and written every 200 ms (and at shutdown), in one batch. The request counter and the
latency histogram are tallied from the same records at each flush (and before `/metrics` answers): each
Prometheus update takes a lock, two per request otherwise.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import json
import math
import operator
import re
import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from prometheus_client import Counter, Histogram

from bss.metrics import HTTP_LATENCY, HTTP_REQUESTS

_FLUSH_S = 0.2
_PLAIN = re.compile(r"[ !#-\[\]-~]*")
"""Printable ASCII but `"` and `\\`: written into a JSON string as it is."""


class AccessLog:
    def __init__(self, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self._stream = stream
        # Per request until the next flush, logged or not: (epoch seconds, request id, method, path, status,
        # seconds taken, caller, client).
        self._kept: list[tuple[float, bytes, str, str, int, float, str, str]] = []
        self._flush: asyncio.TimerHandle | None = None
        self._requests: dict[tuple[str, int], Counter] = {}
        self._latency: Histogram = HTTP_LATENCY.labels("gateway")
        # The histogram's upper bounds (the last is +Inf), as `Histogram.observe` walks them.
        self._bounds: tuple[float, ...] = tuple(self._latency._upper_bounds)
        self._second = 0
        self._second_text = ""

    def record(
        self, method: str, path: str, client: str, status: int, request_id: bytes, elapsed_s: float, subject: str
    ) -> None:
        """Count, time and (when enabled) log one proxied request, at the next flush."""
        self._kept.append((time.time(), request_id, method, path, status, elapsed_s, subject, client))
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(_FLUSH_S, self.flush)

    def _lines(self, kept: list[tuple[float, bytes, str, str, int, float, str, str]]) -> str:
        """The JSON lines of `kept`, newline-terminated: fields with nothing to escape (nearly all) are written as
        they are, in one `%` format per line."""
        lines = []
        second, second_text = self._second, self._second_text
        for now, raw_id, method, path, status, elapsed_s, subject, client in kept:
            request_id = raw_id.decode("latin-1")
            if int(now) != second:
                second = int(now)
                second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            millis = int((now - second) * 1000)
            if _PLAIN.fullmatch(request_id + path + subject + client):
                fields = (second_text, millis, request_id, method, path, status, elapsed_s * 1000, subject, client)
                lines.append(_LINE % fields)
            else:
                lines.append(
                    _ESCAPED_LINE % (second_text, millis, json.dumps(request_id), method, json.dumps(path), status)
                    + _ESCAPED_TAIL % (elapsed_s * 1000, json.dumps(subject), json.dumps(client))
                )
        self._second, self._second_text = second, second_text
        lines.append("")
        return "\n".join(lines)

    def flush(self) -> None:
        """Write the lines kept so far and add the tallies to the metrics."""
        timer, self._flush = self._flush, None
        if timer is not None:
            timer.cancel()
        if not self._kept:
            return
        kept, self._kept = self._kept, []
        self._add_to_metrics(kept)
        if self.enabled:
            stream = self._stream or sys.stderr
            stream.write(self._lines(kept))
            stream.flush()

    def _add_to_metrics(self, kept: list[tuple[float, bytes, str, str, int, float, str, str]]) -> None:
        """What `Counter.inc` and `Histogram.observe` would have done per request, once per flush, counted in C
        (`Counter`, `sorted`, `bisect`); prometheus_client is pinned, and a test reads /metrics after requests."""
        for (method, status), count in collections.Counter(map(_METHOD_STATUS, kept)).items():
            counter = self._requests.get((method, status))
            if counter is None:
                counter = self._requests[(method, status)] = HTTP_REQUESTS.labels("gateway", method, str(status))
            counter.inc(count)
        elapsed = sorted(map(_ELAPSED, kept))
        histogram = self._latency
        histogram._sum.inc(math.fsum(elapsed))
        below = 0  # observations at or below the previous bound: `observe` puts each in the first bound >= it
        for bucket, bound in zip(histogram._buckets, self._bounds, strict=True):
            upto = bisect.bisect_right(elapsed, bound)
            if upto > below:
                bucket.inc(upto - below)
                below = upto


_METHOD_STATUS = operator.itemgetter(2, 4)
_ELAPSED = operator.itemgetter(5)
_LINE = (
    '{"event": "access", "timestamp": "%s.%03dZ", "request_id": "%s", "method": "%s", "path": "%s", "status": %d, '
    '"duration_ms": %.2f, "caller": "%s", "client": "%s"}'
)
_ESCAPED_LINE = (
    '{"event": "access", "timestamp": "%s.%03dZ", "request_id": %s, "method": "%s", "path": %s, "status": %d, '
)
_ESCAPED_TAIL = '"duration_ms": %.2f, "caller": %s, "client": %s}'
