"""Prometheus metrics shared by the services (one registry per process, labelled by service)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("bss_http_requests_total", "HTTP requests answered", ["service", "method", "status"])
HTTP_LATENCY = Histogram(
    "bss_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISHED = Counter("bss_outbox_published_total", "Outbox events published to Kafka", ["service"])
OUTBOX_REPLAYS = Counter(
    "bss_outbox_replays_total", "Times the relay re-sent its retention window to an emptied broker", ["service"]
)
OUTBOX_ERRORS = Counter("bss_outbox_errors_total", "Failed relay rounds (broker or database down)", ["service"])
EVENTS_CONSUMED = Counter("bss_events_consumed_total", "Events taken from Kafka by outcome", ["consumer", "outcome"])
