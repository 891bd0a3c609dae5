"""Tier 1 reports A-E of the support-sla service on a large ticket table (default 1,000,000 tickets).

Generates the tickets straight into a fresh support-sla database migrated up to 0004 (PostgreSQL COPY via asyncpg;
on SQLite, multi-row inserts), then applies migration 0005, which builds the reports' rollups from them (the
backfill, timed), runs ANALYZE, then times each report over the whole history and over one quarter against its
target (200 ms), and checks each one: it equals the direct query over every ticket (`report_oracle`, the reports as
they were before the rollups, timed too) and adds up to what was generated. Then it times the rollups' upkeep: a
ticket's resolution summed into its cells, in a transaction rolled back. Prints a table and one JSON line.

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.support_reports
    .venv/bin/python -m bench.support_reports --tickets 20000        # a quick run (SQLite without DATABASE_URL)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import asyncpg
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.reporting import print_result_line, print_table, rounded
from bss.db import create_engine, session_factory
from bss.migrations import upgrade_to_head
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases
from support_sla.adapters import reports
from support_sla.adapters.report_rollups import refresh_ticket_rollups, report_facts
from support_sla.domain.report_stats import AGE_BUCKETS
from support_sla.domain.sla_policy import default_policy
from support_sla.main import MIGRATIONS_DIR
from support_sla.models import Ticket
from tests.integration.support_sla import report_oracle

COLUMNS = (
    "id", "reseller_id", "country", "subject", "description", "product", "unsupported_version", "opening_severity",
    "severity", "state", "policy_snapshot", "opened_at", "recorded_at", "paused_seconds", "first_response_at",
    "resolved_at", "confirmed_defect", "first_response_seconds", "first_response_met", "resolution_seconds",
    "resolution_met",
)  # fmt: skip
COUNTRIES = ("DE", "FR", "GB", "US", "ES", "IT", "NL", "PL", "SE", "JP", "BR", "IN", "AU", "CA", "CH")
RESPONSE_TARGET = {"A": 4 * 3600, "B": 4 * 3600, "C": 8 * 3600, "D": 24 * 3600}
RESOLUTION_TARGET = {"A": 21 * 86400, "B": 28 * 86400, "C": 30 * 86400, "D": 90 * 86400}
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
TARGET_MS = 200.0
BEFORE_ROLLUPS = "0004"
UPKEEP_TICKETS = 200
Report = Callable[[], Awaitable[list[dict[str, Any]]]]


def ticket_rows(count: int, resellers: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Synthetic tickets over two years: 85% answered, 80% resolved, SLA columns as the service writes them."""
    rng = random.Random(seed)
    snapshot = json.dumps(default_policy().to_json())
    reseller_ids = [(str(uuid.UUID(int=rng.getrandbits(128))), rng.choice(COUNTRIES)) for _ in range(resellers)]
    for _ in range(count):
        reseller_id, country = rng.choice(reseller_ids)
        severity = rng.choices("ABCD", weights=(5, 20, 50, 25))[0]
        opened = NOW - SPAN * rng.random()
        answered = rng.random() < 0.85
        response_s = int(rng.expovariate(1 / (RESPONSE_TARGET[severity] * 0.5))) if answered else None
        resolved = rng.random() < 0.8 and opened < NOW - timedelta(days=1)
        resolution_s = int(rng.expovariate(1 / (RESOLUTION_TARGET[severity] * 0.5))) if resolved else None
        yield (
            str(uuid.UUID(int=rng.getrandbits(128))), reseller_id, country, "Synthetic ticket", "Generated.",
            "Cyber Protect", False, severity, severity, "resolved" if resolved else "open", snapshot, opened, opened,
            0, opened + timedelta(seconds=response_s) if response_s is not None else None,
            opened + timedelta(seconds=resolution_s) if resolution_s is not None else None, False, response_s,
            None if response_s is None else response_s <= RESPONSE_TARGET[severity], resolution_s,
            None if resolution_s is None else resolution_s <= RESOLUTION_TARGET[severity],
        )  # fmt: skip


async def load_postgres(url: str, rows: Iterator[tuple[Any, ...]], batch: int = 50_000) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                await connection.copy_records_to_table("tickets", records=chunk, columns=COLUMNS)
                chunk = []
        if chunk:
            await connection.copy_records_to_table("tickets", records=chunk, columns=COLUMNS)
        await connection.execute("VACUUM ANALYZE tickets")  # autovacuum does this in production
    finally:
        await connection.close()


async def load_sqlite(session: AsyncSession, rows: Iterator[tuple[Any, ...]], batch: int = 5_000) -> None:
    names = ", ".join(COLUMNS)
    marks = ", ".join(f":{c}" for c in COLUMNS)
    chunk: list[dict[str, Any]] = []

    def value(column: str, v: Any) -> Any:
        return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, datetime) else v

    for row in rows:
        chunk.append({c: value(c, v) for c, v in zip(COLUMNS, row, strict=True)})
        if len(chunk) >= batch:
            await session.execute(text(f"INSERT INTO tickets ({names}) VALUES ({marks})"), chunk)
            chunk = []
    if chunk:
        await session.execute(text(f"INSERT INTO tickets ({names}) VALUES ({marks})"), chunk)
    await session.commit()
    await session.execute(text("ANALYZE"))


async def timed(
    call: Callable[[], Awaitable[list[dict[str, Any]]]], repeats: int
) -> tuple[float, list[dict[str, Any]]]:
    best, result = float("inf"), []
    for _ in range(repeats):
        started = time.perf_counter()
        result = await call()
        best = min(best, time.perf_counter() - started)
    return best, result


def report_calls(module: Any, session: AsyncSession, period: reports.Period) -> dict[str, Report]:
    """Reports A-E of `module` (the service's adapter, or the oracle) over `period`, as of NOW."""
    calls: dict[str, Report] = {
        name: partial(getattr(module, f"report_{name.lower()}"), session, period) for name in "ABDE"
    }
    calls["C"] = partial(module.report_c, session, period, NOW)
    return dict(sorted(calls.items()))


async def time_reports(
    sessions: async_sessionmaker[AsyncSession], repeats: int, expected: dict[str, int]
) -> tuple[list[list[object]], dict[str, Any]]:
    """Each report over the whole history and a quarter: its best time, the direct query's, and its checks."""
    results: list[list[object]] = []
    figures: dict[str, Any] = {}
    quarter = reports.Period(NOW - timedelta(days=91), NOW)
    for period_name, period in (("all", reports.Period(None, None)), ("quarter", quarter)):
        for name in "ABCDE":
            async with sessions() as session, session.begin():
                seconds, rows = await timed(report_calls(reports, session, period)[name], repeats)
            async with sessions() as session, session.begin():
                direct_s, direct = await timed(report_calls(report_oracle, session, period)[name], repeats)
            adds_up = period_name != "all" or _check(name, rows, expected)
            ms, direct_ms = seconds * 1000, direct_s * 1000
            checks = [ms <= TARGET_MS, rows == direct, adds_up]
            results.append([name, period_name, len(rows), round(ms, 1), TARGET_MS, *checks, round(direct_ms, 1)])
            key = f"{name.lower()}_{period_name}"
            figures[f"{key}_ms"] = rounded(ms, 1)
            figures[f"{key}_direct_ms"] = rounded(direct_ms, 1)
            figures[f"{key}_ok"] = rows == direct and adds_up
    return results, figures


async def time_upkeep(sessions: async_sessionmaker[AsyncSession]) -> float:
    """Milliseconds per ticket to sum a resolution into the ticket's cells (reseller-month, reseller, country-month,
    open day, resolution bucket), as `store_clocks` does after a change; the transaction is rolled back."""
    async with sessions() as session, session.begin():
        query = select(Ticket).where(Ticket.resolved_at.is_(None)).limit(UPKEEP_TICKETS)
        tickets = list((await session.scalars(query)).all())
        started = time.perf_counter()
        for ticket in tickets:
            before = report_facts(ticket)
            ticket.resolved_at = ticket.opened_at + timedelta(hours=30)
            ticket.state = "resolved"
            ticket.resolution_seconds, ticket.resolution_met = 30 * 3600, True
            await refresh_ticket_rollups(session, ticket, before)
        elapsed = time.perf_counter() - started
        await session.rollback()
    return elapsed * 1000 / max(len(tickets), 1)


async def run(count: int, resellers: int, repeats: int) -> int:
    databases = ThrowawayDatabases(os.environ.get(DATABASE_URL_ENV))
    url = await databases.create("support_reports")
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR, BEFORE_ROLLUPS)
        sessions = session_factory(engine)
        started = time.perf_counter()
        if databases.backend == "postgresql":
            await load_postgres(url, ticket_rows(count, resellers, seed=7))
        else:
            async with sessions() as session:
                await load_sqlite(session, ticket_rows(count, resellers, seed=7))
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        await upgrade_to_head(engine, MIGRATIONS_DIR)  # 0005: the rollups, summed from every ticket
        backfill_s = time.perf_counter() - started
        await analyze(engine, databases.backend)
        expected = {"all": 0, "open": 0, "answered": 0, "resolved": 0}
        for row in ticket_rows(count, resellers, seed=7):
            expected["all"] += 1
            expected["open"] += row[15] is None
            expected["answered"] += row[17] is not None
            expected["resolved"] += row[15] is not None
        results, timings = await time_reports(sessions, repeats, expected)
        upkeep_ms = await time_upkeep(sessions)
        checks_ok = all(row[6] and row[7] for row in results)
        headers = ["report", "period", "rows", "best ms", "target ms", "within", "= direct", "adds up", "direct ms"]
        setup = f"load {load_s:.1f} s, backfill {backfill_s:.1f} s"
        print_table(f"Support reports on {count:,} tickets ({databases.backend}; {setup})", headers, results)
        print(f"rollup upkeep: {upkeep_ms:.2f} ms per resolved ticket (cells summed again, {UPKEEP_TICKETS} tickets)")
        figures: dict[str, Any] = {"bench": "support_reports", "backend": databases.backend, "tickets": count}
        figures.update(target_ms=TARGET_MS, **timings)
        all_ms = [float(row[3]) for row in results if row[1] == "all"]  # type: ignore[arg-type]
        figures.update(max_all_ms=max(all_ms), max_ms=max(float(row[3]) for row in results))  # type: ignore[arg-type]
        figures.update(within_target=max(all_ms) <= TARGET_MS, checks_ok=checks_ok)
        figures.update(load_s=rounded(load_s, 1), backfill_s=rounded(backfill_s, 1), upkeep_ms=rounded(upkeep_ms, 2))
        print_result_line(figures)
        return 0 if checks_ok else 1
    finally:
        await engine.dispose()
        await databases.drop_all()


async def analyze(engine: AsyncEngine, backend: str) -> None:
    """Fresh statistics and visibility map for the new rollups, as autovacuum would give them."""
    if backend == "postgresql":
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("report_reseller_months", "report_open_days", "report_first_response_buckets"):
                await connection.execute(text(f"VACUUM ANALYZE {table}"))
            await connection.execute(text("VACUUM ANALYZE report_resolution_buckets"))
    else:
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


def _check(name: str, rows: list[dict[str, Any]], expected: dict[str, int]) -> bool:
    if name in ("A", "B"):
        return bool(sum(r["cases"] for r in rows) == expected["all"])
    if name == "C":
        buckets = sum(rows[0][bucket[0]] for bucket in AGE_BUCKETS)
        return bool(rows[0]["open_cases"] == expected["open"] == buckets)
    if name == "D":
        return bool(rows[0]["count"] == expected["answered"])
    return bool(sum(r["count"] for r in rows) == expected["resolved"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--resellers", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(run(args.tickets, args.resellers, args.repeats))


if __name__ == "__main__":
    raise SystemExit(main())
