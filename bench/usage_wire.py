"""The per-event pieces of usage ingestion, one at a time: CPU microseconds per event (or per array element).

Reading a 10,000-event batch as the HTTP intake does (and, for comparison, with the UUID pattern in the type,
as before: a regular-expression match per id and event); reading one `bss.usage` record as the usage consumer
does; the fingerprint; the ledger key of an event id; the envelope written for the broker. With a PostgreSQL
`DATABASE_URL` (or `--database`), also what asyncpg costs the client to send 2,000 values as an array parameter,
and as one `packed` string.

    python -m bench usage_wire
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres python -m bench usage_wire
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated

import msgspec

from bench.reporting import Figure, print_result_line, print_table, rounded
from billing.adapters.usage_wire import (
    decode_batch,
    decode_usage_envelope,
    encode_envelope,
    event_key,
    instant_text,
    read_usage,
)
from bss.db import packed, unpacked

_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_PatternId = Annotated[str, msgspec.Meta(pattern=_PATTERN)]


class _PatternUsage(msgspec.Struct, frozen=True):
    """`Usage` as it was declared before: every id checked by a pattern while decoding."""

    reseller_id: _PatternId
    subscription_id: _PatternId
    customer_id: _PatternId
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    quantity: Decimal
    measured_at: datetime
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class _PatternBatch(msgspec.Struct):
    events: list[_PatternUsage]


def _batch(events: int, subscriptions: int, customers: int) -> bytes:
    subscription_ids = [str(uuid.uuid4()) for _ in range(subscriptions)]
    customer_ids = [str(uuid.uuid4()) for _ in range(customers)]
    reseller = str(uuid.uuid4())
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return msgspec.json.encode(
        {
            "events": [
                {
                    "event_id": str(uuid.uuid4()),
                    "reseller_id": reseller,
                    "subscription_id": subscription_ids[i % subscriptions],
                    "customer_id": customer_ids[(i // subscriptions) % customers],
                    "sku": f"SKU-{i % 20:02d}",
                    "quantity": f"{i % 977}.25",
                    "measured_at": instant_text(start + timedelta(seconds=37 * i)),
                    "source": "bench",
                }
                for i in range(events)
            ]
        }
    )


def _cpu_us(work: Callable[[], object], items: int, repeats: int) -> float:
    """CPU microseconds per item of the best of `repeats` runs (the collector off, as the services tune it)."""
    work()
    best = float("inf")
    gc.disable()
    try:
        for _ in range(repeats):
            started = time.process_time()
            work()
            best = min(best, time.process_time() - started)
            gc.collect()
    finally:
        gc.enable()
    return best * 1e6 / items


def _reading(events: int, repeats: int) -> list[tuple[str, float]]:
    body = _batch(events, subscriptions=1_000, customers=50)
    pattern_decoder = msgspec.json.Decoder(_PatternBatch)
    usages = [usage for _, usage in decode_batch(body) or []]
    envelopes = [
        encode_envelope(str(uuid.uuid4()), read_usage(usage), source="/bss/billing", time_text="2026-11-26T00:00:00Z")
        for usage in usages
    ]

    def consumer() -> None:
        for value in envelopes:
            read_usage(decode_usage_envelope(value)[3])

    settled = [read_usage(usage) for usage in usages]
    ids = [str(uuid.uuid4()) for _ in usages]

    def written() -> None:
        for usage in settled:
            encode_envelope("e", usage, source="/bss/billing", time_text="2026-11-26T00:00:00Z")

    steps: list[tuple[str, Callable[[], object]]] = [
        ("HTTP intake: decode a batch's event (ids checked by length)", lambda: decode_batch(body)),
        ("  the same with the UUID pattern in the type (before)", lambda: pattern_decoder.decode(body)),
        ("HTTP intake: settle a decoded event (ids canonical)", lambda: [read_usage(u) for u in usages]),
        ("usage consumer: read a bss.usage record", consumer),
        ("fingerprint of an event", lambda: [u.fingerprint() for u in settled]),
        ("ledger key of an event id (a canonical UUID)", lambda: [event_key(i) for i in ids]),
        ("envelope written for the broker", written),
    ]
    return [(name, _cpu_us(work, events, repeats)) for name, work in steps]


async def _parameters(database_url: str, elements: int, repeats: int) -> list[tuple[str, float]]:
    """Client CPU per element to send `elements` canonical ids as a text array, and as one packed string."""
    import asyncpg

    ids = [str(uuid.uuid4()) for _ in range(elements)]
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        as_array = await connection.prepare("SELECT cardinality(CAST($1 AS varchar[]))")
        as_string = await connection.prepare(f"SELECT cardinality({unpacked('ids').replace(':ids', '$1')})")
        figures = []
        for name, statement, argument in (
            ("array parameter (text[])", as_array, ids),
            ("packed string (string_to_array)", as_string, None),
        ):
            best = float("inf")
            for _ in range(repeats):
                started = time.process_time()
                for _ in range(20):
                    value = packed(ids) if argument is None else argument  # packing is part of the cost
                    assert await statement.fetchval(value) == elements
                best = min(best, time.process_time() - started)
            figures.append((f"asyncpg client: {elements:,} ids as {name}", best * 1e6 / (20 * elements)))
        return figures
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="events per batch (default 10,000)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure; the best is kept")
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", ""), help="PostgreSQL URL (optional)")
    options = parser.parse_args()
    if options.events < 1 or options.repeats < 1:
        parser.error("--events and --repeats must be at least 1")
    figures = _reading(options.events, options.repeats)
    if options.database.startswith("postgresql"):
        figures += asyncio.run(_parameters(options.database, 2_000, options.repeats))
    else:
        print("(no PostgreSQL DATABASE_URL: the asyncpg parameter figures are skipped)")
    print_table("CPU per event (or per element), best of runs", ["step", "us"], [(n, round(v, 3)) for n, v in figures])
    result: dict[str, Figure] = {"bench": "usage_wire", "events": options.events}
    result.update({name.strip(): rounded(value, 3) for name, value in figures})
    print_result_line(result)


if __name__ == "__main__":
    main()
