"""A book cut into requests within the import APIs' limits, and small enough to be answered in time.

The book import takes at most `MAX_LINES_PER_IMPORT` lines a request and the ticket import `MAX_TICKETS_PER_IMPORT`
tickets and `MAX_STEPS_PER_IMPORT` history steps, but the gateway waits `GATEWAY_UPSTREAM_TIMEOUT_S` (30 s) for an
answer: a book import of 2,000 lines took 45 s on the development machine (about 44 lines a second, each line its
own transaction), and the gateway answered 504 while the service went on importing. So requests are smaller
(`BOOK_LINES_PER_REQUEST`, `TICKETS_PER_REQUEST`, `STEPS_PER_REQUEST`), every body stays under `MAX_BODY_BYTES`,
and each reseller goes in the same request as its subscriptions: a dry run is one transaction per request and sees
only its own request, and a subscription so always sees the reseller it names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from deploy.import_book.book_rows import BookLine
from deploy.import_book.ticket_rows import TicketLine
from subscriptions.domain.book_import import MAX_LINES_PER_IMPORT
from support_sla.domain.ticket_import import MAX_STEPS_PER_IMPORT, MAX_TICKETS_PER_IMPORT

T = TypeVar("T")

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Bytes of one request body (the gateway refuses more than `GATEWAY_MAX_BODY_BYTES`, 16 MiB by default)."""
BOOK_LINES_PER_REQUEST = min(500, MAX_LINES_PER_IMPORT)
"""About 11 s of work on the development machine (40-48 lines a second, on SQLite as on PostgreSQL)."""
TICKETS_PER_REQUEST = min(250, MAX_TICKETS_PER_IMPORT)
STEPS_PER_REQUEST = min(5_000, MAX_STEPS_PER_IMPORT)
"""250 tickets of the sample book (about 1,500 steps) take about 4 s (60 tickets a second, either database)."""


@dataclass(frozen=True, slots=True)
class BookChunk:
    resellers: tuple[BookLine, ...]
    subscriptions: tuple[BookLine, ...]

    def body(self, source: str) -> dict[str, Any]:
        return {
            "source": source,
            "resellers": [line.body for line in self.resellers],
            "subscriptions": [_with_reseller(line) for line in self.subscriptions],
        }


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A ticket on its way: its body with its source and the id of its reseller in this suite."""

    ticket: TicketLine
    body: dict[str, Any]

    @property
    def steps(self) -> int:
        return len(self.body["history"])


def _with_reseller(line: BookLine) -> dict[str, Any]:
    if line.reseller_source_id is None:
        return line.body
    return {**line.body, "reseller_source_id": line.reseller_source_id}


def book_chunks(
    resellers: Sequence[BookLine], subscriptions: Sequence[BookLine], limit: int = BOOK_LINES_PER_REQUEST
) -> list[BookChunk]:
    """Requests of at most `limit` lines and `MAX_BODY_BYTES`, each reseller in the same request as its
    subscriptions (those naming a reseller by its id here come last)."""
    theirs: dict[str, list[BookLine]] = {line.source_id: [] for line in resellers}
    others = []
    for line in subscriptions:
        if line.reseller_source_id in theirs:
            theirs[line.reseller_source_id].append(line)
        else:
            others.append(line)
    groups = [[reseller, *theirs[reseller.source_id]] for reseller in resellers] + [[line] for line in others]
    # A group over the limit is cut (only a book the exclusion set refuses in part could hold one).
    units = [group[i : i + limit] for group in groups for i in range(0, len(group), limit)]
    chunks = packed(units, limit=len(units) or 1, steps=len, step_limit=limit, size=lambda u: sum(map(_size, u)))
    kept = {id(line) for line in resellers}
    return [
        BookChunk(
            tuple(line for unit in chunk for line in unit if id(line) in kept),
            tuple(line for unit in chunk for line in unit if id(line) not in kept),
        )
        for chunk in chunks
    ]


def ticket_chunks(
    tickets: Sequence[Outgoing], limit: int = TICKETS_PER_REQUEST, step_limit: int = STEPS_PER_REQUEST
) -> list[list[Outgoing]]:
    return packed(tickets, limit=limit, steps=lambda t: t.steps, step_limit=step_limit, size=_size)


def packed(
    items: Sequence[T], *, limit: int, steps: Callable[[T], int], step_limit: int, size: Callable[[T], int]
) -> list[list[T]]:
    """`items` in order, cut where the next would pass `limit` items, `step_limit` steps (0: no limit) or
    `MAX_BODY_BYTES`; an item alone is never cut (the book's checks keep each under the limits)."""
    chunks: list[list[T]] = []
    current: list[T] = []
    current_steps = current_size = 0
    for item in items:
        item_steps, item_size = steps(item), size(item)
        full = (
            len(current) >= limit
            or (step_limit and current_steps + item_steps > step_limit)
            or current_size + item_size > MAX_BODY_BYTES
        )
        if current and full:
            chunks.append(current)
            current, current_steps, current_size = [], 0, 0
        current.append(item)
        current_steps += item_steps
        current_size += item_size
    if current:
        chunks.append(current)
    return chunks


def _size(item: BookLine | Outgoing) -> int:
    return len(json.dumps(item.body, ensure_ascii=False).encode()) + 2  # a comma and some slack
