"""Outbox throughput: use case commits -> outbox relay -> broker -> consumer with inbox, end to end, exactly once.

One run on a private embedded broker measures, in order:

1. the raw aiokafka baseline: messages the size of the outbox payloads produced the way the relay sends them
   (per-message `send()`, one gather per batch, acks=all, not idempotent), then read back in a consumer group;
2. the outbox pipeline: writers commit `--events` events in transactions of `--batch` (a state row per event
   and its outbox row, together), the real `OutboxRelay` publishes, the real `EventConsumer` applies each event
   with its inbox row in one transaction. Every stage is timed from the first write to its last event, so
   `relay` and `end to end` are at most the write rate; the backlog columns show which stage held the others up.
   Latency is from an event's `time` (taken when its transaction started) to the handler applying it; writers
   are not throttled, so it is latency under saturation, dominated by the backlog in front of the slowest stage.

Then it checks the results (counter total, every row sent, one inbox row per event) and exits 1 if any is off.
SQLite files by default; PostgreSQL databases when DATABASE_URL=postgresql+asyncpg://... is set.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.broker import RawRates, embedded_broker, measure_raw_rates, messages_like, wait_for_stable_group
from bench.event_loops import LOOPS, run_on
from bench.outbox_checks import Checks, check_results
from bench.outbox_pipeline import (
    AppliedTimes,
    BenchThingHappenedV1,
    Pipeline,
    recording_batch_handler,
    recording_handler,
    sample_payload,
)
from bench.reporting import (
    Figure,
    children_peak_rss_mb,
    peak_rss_mb,
    per_second,
    percentile,
    print_result_line,
    print_table,
    rounded,
)
from bss.observability import configure_logging
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases

BENCH = "outbox_throughput"
SEND_BATCH = 500  # the relay's default batch: the baseline sends in batches of the same size


@dataclass(frozen=True, slots=True)
class Options:
    events: int
    batch: int
    writers: int
    partitions: int
    database_url: str | None
    loop: str
    timeout_s: float
    consumer: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """When each stage finished, from the first write; and the backlog behind each stage as the one before ended."""

    started: datetime
    writes_done: datetime
    last_sent: datetime | None
    last_applied: datetime | None
    unsent_at_writes_done: int
    unapplied_at_last_sent: int
    group_join_s: float

    def seconds_to(self, moment: datetime | None) -> float:
        return (moment - self.started).total_seconds() if moment is not None else math.nan


@dataclass(frozen=True, slots=True)
class Outcome:
    raw: RawRates
    payload_bytes: int
    timeline: Timeline
    latencies_ms: list[float]
    checks: Checks


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{BENCH}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="events to write (default 20000)")
    parser.add_argument("--batch", type=int, default=100, help="events per writer transaction (default 100)")
    parser.add_argument("--writers", type=int, default=1, help="concurrent writers (default 1)")
    parser.add_argument("--partitions", type=int, default=3, help="partitions of the topics (default 3)")
    parser.add_argument(
        "--consumer",
        choices=("batch", "per-event"),
        default="batch",
        help="consumer mode: one transaction per poll batch (default) or one per event",
    )
    parser.add_argument("--loop", choices=LOOPS, default="uvloop", help="event loop (default uvloop, as uvicorn)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the pipeline to drain")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(DATABASE_URL_ENV) or None,
        help=f"PostgreSQL server URL (default ${DATABASE_URL_ENV}; unset: SQLite files in a temporary directory)",
    )
    args = parser.parse_args(argv)
    for name in ("events", "batch", "writers", "partitions"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return Options(
        events=args.events,
        batch=args.batch,
        writers=args.writers,
        partitions=args.partitions,
        database_url=args.database_url,
        loop=args.loop,
        timeout_s=args.timeout,
        consumer=args.consumer,
    )


async def measure(options: Options) -> Outcome:
    async with AsyncExitStack() as stack:
        broker = await stack.enter_async_context(embedded_broker())
        payload = sample_payload()
        raw = await measure_raw_rates(
            broker.bootstrap_servers,
            messages_like(payload, BenchThingHappenedV1.event_type, options.events),
            partitions=options.partitions,
            send_batch=SEND_BATCH,
            timeout_s=options.timeout_s,
        )
        databases = ThrowawayDatabases(options.database_url)
        stack.push_async_callback(databases.drop_all)
        pipeline = await Pipeline.create(broker.bootstrap_servers, databases, options.partitions)
        stack.push_async_callback(pipeline.close)
        applied: AppliedTimes = {}
        if options.consumer == "batch":
            await pipeline.start_consumer(recording_batch_handler(applied), batch=True)
        else:
            await pipeline.start_consumer(recording_handler(applied), batch=False)
        join_s = await wait_for_stable_group(broker.bootstrap_servers, pipeline.group, timeout_s=60)
        await pipeline.start_relay()
        timeline, written = await drive(pipeline, options, applied, join_s)
        await pipeline.stop()
        checks = await check_results(pipeline, written, options.events)
    latencies = [(at - time).total_seconds() * 1000 for time, at in applied.values()]
    return Outcome(raw, len(payload), timeline, latencies, checks)


async def drive(
    pipeline: Pipeline, options: Options, applied: AppliedTimes, join_s: float
) -> tuple[Timeline, list[str]]:
    """Write everything, then wait until the consumer applied it all and the relay marked it all sent."""
    started = datetime.now(UTC)
    written = await write_all(pipeline, options)
    writes_done = datetime.now(UTC)
    unsent_at_writes_done = await pipeline.unsent()
    await wait_until(lambda: len(applied) >= options.events, pipeline, options.timeout_s, "every event applied")
    await wait_until_all_sent(pipeline, timeout_s=30)
    last_sent = await pipeline.last_sent_at()
    applied_times = [at for _, at in applied.values()]
    behind = [at for at in applied_times if last_sent is None or at > last_sent]
    timeline = Timeline(
        started=started,
        writes_done=writes_done,
        last_sent=last_sent,
        last_applied=max(applied_times) if len(applied_times) >= options.events else None,  # None: not all
        unsent_at_writes_done=unsent_at_writes_done,
        unapplied_at_last_sent=len(behind) + options.events - len(applied_times),
        group_join_s=join_s,
    )
    return timeline, written


async def write_all(pipeline: Pipeline, options: Options) -> list[str]:
    """`options.writers` concurrent writers, each committing its share in transactions of `options.batch`."""
    batches = [
        range(first, min(first + options.batch, options.events)) for first in range(0, options.events, options.batch)
    ]
    written: list[str] = []

    async def writer(share: list[range]) -> None:
        for indexes in share:
            await pipeline.write(indexes, written)

    await asyncio.gather(*(writer(batches[n :: options.writers]) for n in range(options.writers)))
    return written


async def wait_until(done: Callable[[], bool], pipeline: Pipeline, timeout_s: float, what: str) -> bool:
    """Poll `done` until it holds; False (with a note on stderr) after the timeout or if the pipeline crashed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not done():
        crashed = pipeline.crashed()
        if crashed or loop.time() > deadline:
            print(f"gave up waiting for {what}: {crashed or f'timed out after {timeout_s}s'}", file=sys.stderr)
            return False
        await asyncio.sleep(0.02)
    return True


async def wait_until_all_sent(pipeline: Pipeline, timeout_s: float) -> bool:
    """The relay marks rows sent after the broker's ack, so the consumer may finish first: wait for the marks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while await pipeline.unsent() > 0:
        if loop.time() > deadline:
            print(f"gave up waiting for the relay to mark every row sent after {timeout_s}s", file=sys.stderr)
            return False
        await asyncio.sleep(0.05)
    return True


def report(options: Options, backend: str, outcome: Outcome) -> dict[str, Figure]:
    """Print the tables and return the figures for the final JSON line."""
    quantiles = {q: percentile(outcome.latencies_ms, q) for q in (50, 95, 99)}
    print(
        f"outbox throughput: {backend}, {options.events:,} events of {outcome.payload_bytes} bytes, transactions "
        f"of {options.batch}, {options.writers} writer(s), {options.partitions} partitions, {options.loop}, "
        f"{options.consumer} consumer"
    )
    print_rates(options.events, outcome)
    print_table(
        "latency, event time -> applied (ms)",
        ["events", "p50", "p95", "p99", "max"],
        [(len(outcome.latencies_ms), *quantiles.values(), max(outcome.latencies_ms, default=math.nan))],
    )
    print_table("checks", ["check", "expected", "actual", "ok"], outcome.checks.rows())
    print_table(
        "resources",
        ["what", "value"],
        [
            ("peak RSS, benchmark process (MiB)", peak_rss_mb()),
            ("peak RSS, broker (MiB)", children_peak_rss_mb()),
            ("consumer group join, not timed (s)", outcome.timeline.group_join_s),
            ("raw consumer group join, not timed (s)", outcome.raw.group_join_s),
        ],
    )
    print()
    return result_figures(options, backend, outcome, quantiles)


def result_figures(options: Options, backend: str, outcome: Outcome, quantiles: dict[int, float]) -> dict[str, Figure]:
    n, timeline = options.events, outcome.timeline
    return {
        "bench": BENCH,
        "database": backend,
        "consumer": options.consumer,
        "loop": options.loop,
        "events": n,
        "batch": options.batch,
        "writers": options.writers,
        "payload_bytes": outcome.payload_bytes,
        "end_to_end_events_per_s": rounded(per_second(n, timeline.seconds_to(timeline.last_applied))),
        "write_events_per_s": rounded(per_second(n, timeline.seconds_to(timeline.writes_done))),
        "relay_events_per_s": rounded(per_second(n, timeline.seconds_to(timeline.last_sent))),
        "raw_produce_per_s": rounded(outcome.raw.produce_per_s),
        "raw_consume_per_s": rounded(outcome.raw.consume_per_s),
        **{f"p{q}_ms": rounded(value, 1) for q, value in quantiles.items()},
        "lost": outcome.checks.lost,
        "double_counted": outcome.checks.double_counted,
        "checks_passed": outcome.checks.passed,
        "peak_rss_mb": rounded(peak_rss_mb(), 1),
        "broker_peak_rss_mb": rounded(children_peak_rss_mb(), 1),
    }


def print_rates(n: int, outcome: Outcome) -> None:
    raw, timeline = outcome.raw, outcome.timeline
    write_s = timeline.seconds_to(timeline.writes_done)
    relay_s = timeline.seconds_to(timeline.last_sent)
    end_to_end_s = timeline.seconds_to(timeline.last_applied)
    print_table(
        "rates (outbox stages timed from the first write)",
        ["stage", "events", "seconds", "events/s", "backlog when the stage above finished"],
        [
            ("raw aiokafka produce", n, raw.produce_s, raw.produce_per_s, ""),
            ("raw aiokafka consume (group)", n, raw.consume_s, raw.consume_per_s, ""),
            ("outbox write (committed)", n, write_s, per_second(n, write_s), ""),
            (
                "relay publish (marked sent)",
                n,
                relay_s,
                per_second(n, relay_s),
                f"{timeline.unsent_at_writes_done:,} unsent",
            ),
            (
                "end to end (applied)",
                n,
                end_to_end_s,
                per_second(n, end_to_end_s),
                f"{timeline.unapplied_at_last_sent:,} unapplied",
            ),
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    configure_logging("WARNING", json=False)  # warnings from the relay or consumer go to stderr
    try:
        backend = ThrowawayDatabases(options.database_url).backend
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outcome = run_on(options.loop, measure(options))
    figures = report(options, backend, outcome)
    print_result_line(figures)
    return 0 if outcome.checks.passed else 1


if __name__ == "__main__":
    sys.exit(main())
