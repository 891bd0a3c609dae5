"""Tier 1 reports A-E of the support-sla service on a large ticket table (default 1,000,000 tickets).

Generates the tickets straight into a fresh, migrated support-sla database (PostgreSQL COPY via asyncpg; on
SQLite, multi-row inserts), runs ANALYZE, then times each report over the whole history and over one quarter,
checks the reports add up to what was generated, and prints a table and one JSON line.

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
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bench.reporting import print_result_line, print_table, rounded
from bss.db import create_engine, session_factory
from bss.migrations import upgrade_to_head
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases
from support_sla.adapters import reports
from support_sla.domain.report_stats import AGE_BUCKETS
from support_sla.domain.sla_policy import default_policy
from support_sla.main import MIGRATIONS_DIR

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


async def run(count: int, resellers: int, repeats: int) -> int:
    databases = ThrowawayDatabases(os.environ.get(DATABASE_URL_ENV))
    url = await databases.create("support_reports")
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        sessions = session_factory(engine)
        started = time.perf_counter()
        if databases.backend == "postgresql":
            await load_postgres(url, ticket_rows(count, resellers, seed=7))
        else:
            async with sessions() as session:
                await load_sqlite(session, ticket_rows(count, resellers, seed=7))
        load_s = time.perf_counter() - started
        expected = {"all": 0, "open": 0, "answered": 0, "resolved": 0}
        for row in ticket_rows(count, resellers, seed=7):
            expected["all"] += 1
            expected["open"] += row[15] is None
            expected["answered"] += row[17] is not None
            expected["resolved"] += row[15] is not None
        results: list[list[object]] = []
        figures: dict[str, Any] = {"bench": "support_reports", "backend": databases.backend, "tickets": count}
        checks_ok = True
        quarter = reports.Period(NOW - timedelta(days=91), NOW)
        for period_name, period in (("all", reports.Period(None, None)), ("quarter", quarter)):
            async with sessions() as session:
                calls: dict[str, Callable[[], Awaitable[list[dict[str, Any]]]]] = {
                    "A": partial(reports.report_a, session, period),
                    "B": partial(reports.report_b, session, period),
                    "C": partial(reports.report_c, session, period, NOW),
                    "D": partial(reports.report_d, session, period),
                    "E": partial(reports.report_e, session, period),
                }
                for name, call in calls.items():
                    seconds, rows = await timed(call, repeats)
                    ok = period_name != "all" or _check(name, rows, expected)
                    checks_ok = checks_ok and ok
                    results.append([name, period_name, len(rows), round(seconds * 1000, 1), ok])
                    figures[f"{name.lower()}_{period_name}_ms"] = rounded(seconds * 1000, 1)
        print_table(f"Support reports on {count:,} tickets ({databases.backend}; load {load_s:.1f} s)",
                    ["report", "period", "rows", "best ms", "adds up"], results)  # fmt: skip
        figures.update(load_s=rounded(load_s, 1), max_ms=max(r[3] for r in results), checks_ok=checks_ok)  # type: ignore[type-var]
        print_result_line(figures)
        return 0 if checks_ok else 1
    finally:
        await engine.dispose()
        await databases.drop_all()


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
