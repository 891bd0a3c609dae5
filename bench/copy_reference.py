"""A floor for a writing benchmark on PostgreSQL: the time the rows it wrote take to write alone with COPY.

The rows are read back from the benchmark's tables (not timed) and copied with asyncpg's
`copy_records_to_table` into throwaway copies of those tables (`CREATE TABLE ... (LIKE ... INCLUDING ALL)`:
the same columns, defaults, constraints, indexes and compression), in transactions of `batch` rows of each
table, as a bulk writer would commit them. Only the COPY statements and their commits are timed. Identity
columns are left to the copies' own sequences, as they were for the benchmark's inserts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url


@dataclass(frozen=True, slots=True)
class CopiedTable:
    """A table whose rows are copied: its name, the columns the benchmark wrote, and the column to page by."""

    name: str
    columns: tuple[str, ...]
    order_by: str


@dataclass(frozen=True, slots=True)
class CopyReference:
    seconds: float
    rows: dict[str, int]


async def copy_reference(url: str, tables: Sequence[CopiedTable], *, batch: int) -> CopyReference:
    """COPY the rows of `tables` into fresh copies of them, `batch` rows of each per transaction; the time taken."""
    parsed = make_url(url)
    connection = await asyncpg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    seconds = 0.0
    rows = {table.name: 0 for table in tables}
    try:
        for table in tables:
            await connection.execute(f"CREATE TABLE copy_of_{table.name} (LIKE {table.name} INCLUDING ALL)")
        offset = 0
        while True:
            pages = [await _page(connection, table, offset, batch) for table in tables]
            if not any(pages):
                break
            started = time.perf_counter()
            async with connection.transaction():
                for table, records in zip(tables, pages, strict=True):
                    if records:
                        await connection.copy_records_to_table(
                            f"copy_of_{table.name}", records=records, columns=list(table.columns)
                        )
            seconds += time.perf_counter() - started
            for table, records in zip(tables, pages, strict=True):
                rows[table.name] += len(records)
            offset += batch
    finally:
        for table in tables:
            await connection.execute(f"DROP TABLE IF EXISTS copy_of_{table.name}")
        await connection.close()
    return CopyReference(seconds, rows)


async def _page(
    connection: asyncpg.Connection, table: CopiedTable, offset: int, batch: int
) -> list[tuple[object, ...]]:
    columns = ", ".join(table.columns)
    query = f"SELECT {columns} FROM {table.name} ORDER BY {table.order_by} LIMIT {batch} OFFSET {offset}"
    return [tuple(record) for record in await connection.fetch(query)]
