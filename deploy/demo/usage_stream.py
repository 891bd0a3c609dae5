"""A month of usage readings for the resellers' customers, streamed to `POST /api/v1/billing/usage` in batches.

Readings come every six hours from the subscription's start to the month's end, the way a collector forwards
Acronis usage: `max` and `last` SKUs rise to the customer's month-end figure on the last reading, `sum` SKUs
report deltas that add up to the month's total. So what billing aggregates is exactly the plan's figure.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import httpx

from deploy.demo.cast import CLOUD_STORAGE, DR_COMPUTE, CustomerMonth
from deploy.demo.gateway_calls import expect

READING_EVERY = timedelta(hours=6)
FIRST_READING = timedelta(minutes=5)  # just after the hour, as a collector run would
BATCH_SIZE = 1000
SOURCE = "demo-usage-collector"

ProgressCallback = Callable[["StreamTally"], None]


def reading_values(final: Decimal, sku: str, count: int) -> list[Decimal]:
    """`count` readings whose aggregate is `final`: deltas for the `sum` SKU, an accumulating value for the
    `last` SKU, counts rising from 60% to the peak on the last reading for the `max` SKUs."""
    if sku == DR_COMPUTE:
        share, rest = divmod(int(final), count)
        return [Decimal(share + (1 if k < rest else 0)) for k in range(count)]
    if sku == CLOUD_STORAGE:
        cent = Decimal("0.01")
        return [(final * (k + 1) / count).quantize(cent, ROUND_FLOOR) for k in range(count - 1)] + [final]
    span = max(count - 1, 1)
    return [(final * (6 * span + 4 * k) / (10 * span)).to_integral_value(ROUND_FLOOR) for k in range(count)]


@dataclass(frozen=True, slots=True)
class Feed:
    """One subscription's customers and the instant their readings start."""

    reseller_id: str
    subscription_id: str
    customers: tuple[CustomerMonth, ...]
    starts_at: datetime


def month_events(feeds: list[Feed], month_end: datetime) -> list[dict[str, Any]]:
    """Every reading of the month for every feed, in time order (all customers of a collector run together)."""
    events: list[tuple[datetime, int, dict[str, Any]]] = []
    for feed in feeds:
        instants = list(_instants(feed.starts_at, month_end))
        for customer in feed.customers:
            customer_id = str(uuid.uuid4())
            for sku, final in customer.figures().items():
                for at, value in zip(instants, reading_values(final, sku, len(instants)), strict=True):
                    if sku == DR_COMPUTE and value == 0:
                        continue  # no compute used in that run: nothing to report
                    events.append((at, len(events), _event(feed, customer_id, sku, value, at)))
    return [event for _, _, event in sorted(events, key=lambda item: (item[0], item[1]))]


def _instants(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start + FIRST_READING
    while at < end:
        yield at
        at += READING_EVERY


def _event(feed: Feed, customer_id: str, sku: str, value: Decimal, at: datetime) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "reseller_id": feed.reseller_id,
        "subscription_id": feed.subscription_id,
        "customer_id": customer_id,
        "sku": sku,
        "quantity": format(value, "f"),
        "measured_at": at.isoformat().replace("+00:00", "Z"),
        "source": SOURCE,
    }


@dataclass
class StreamTally:
    """What billing answered so far: per event accepted, duplicate or rejected (with the reasons)."""

    total: int
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, answer: dict[str, Any]) -> None:
        results = answer["results"]
        self.sent += len(results)
        self.accepted += int(answer["accepted"])
        self.duplicate += int(answer["duplicate"])
        self.rejected += int(answer["rejected"])
        for result in results:
            if result["status"] == "rejected":
                text = f"{result['reason_code']}: {result['detail']}"
                self.reasons[text] = self.reasons.get(text, 0) + 1


async def stream_usage(
    collector: httpx.AsyncClient, events: list[dict[str, Any]], progress: ProgressCallback | None = None
) -> StreamTally:
    """POST the events in batches, in order; each batch is answered per event."""
    tally = StreamTally(total=len(events))
    for start in range(0, len(events), BATCH_SIZE):
        batch = events[start : start + BATCH_SIZE]
        answer = await collector.post("/api/v1/billing/usage", json={"events": batch})
        tally.add(expect(answer, 200, "report usage"))
        if progress is not None:
            progress(tally)
    return tally
