"""The catalog version (the highest `catalog_changes.seq`) read the cheapest way each database allows, for the
storefront's cached read, which asks it on every request (docs/decisions/0021).

A pooled session costs a checkout (with its pre-ping), a transaction and a rollback: about a millisecond. SQLite,
the embedded default, is read on a connection of the probe's own, in the event loop: in WAL mode a reader never
waits for a writer, and the indexed `max` takes microseconds, less than handing it to aiosqlite's thread. PostgreSQL
is read on a connection of the probe's own, outside the pool and any transaction: one round trip of a prepared
statement. Either falls back to the pooled engine while its own connection cannot be had.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Protocol

import asyncpg
import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.adapters.repository import current_catalog_version

log = structlog.get_logger("catalog.version")
VERSION_SQL = "SELECT coalesce(max(seq), 0) FROM catalog_changes"
RETRY_AFTER_S = 30.0  # meanwhile reads go through the pool: slower, as fresh


class VersionProbe(Protocol):
    async def current(self) -> int:
        """The catalog version committed now."""
        ...

    async def close(self) -> None: ...


def version_probe(engine: AsyncEngine) -> VersionProbe:
    """The probe for the engine's database, chosen once."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteVersionProbe(engine, Path(url.database))
    if url.get_backend_name() == "postgresql":
        return PostgresVersionProbe(engine)
    return PooledVersionProbe(engine)


class PooledVersionProbe:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def current(self) -> int:
        return await current_catalog_version(self.engine)

    async def close(self) -> None:
        return None


class SqliteVersionProbe:
    def __init__(self, engine: AsyncEngine, path: Path) -> None:
        self.pooled = PooledVersionProbe(engine)
        self.path = path
        self.connection: sqlite3.Connection | None = None

    async def current(self) -> int:
        try:
            if self.connection is None:
                # autocommit: every read sees what is committed now; a short busy timeout, as it runs in the loop
                self.connection = sqlite3.connect(self.path, timeout=0.05, isolation_level=None)
            row = self.connection.execute(VERSION_SQL).fetchone()
            return int(row[0])
        except sqlite3.Error as exc:
            log.warning("catalog version read through the pool", reason=str(exc))
            await self.close()
            return await self.pooled.current()

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.close()


class PostgresVersionProbe:
    def __init__(self, engine: AsyncEngine) -> None:
        self.pooled = PooledVersionProbe(engine)
        self.dsn = make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.connection: asyncpg.Connection | None = None
        self.lock = asyncio.Lock()  # an asyncpg connection runs one query at a time
        self.retry_at = 0.0

    async def current(self) -> int:
        if self.connection is None and time.monotonic() < self.retry_at:
            return await self.pooled.current()
        try:
            async with self.lock:
                if self.connection is None:
                    self.connection = await asyncpg.connect(self.dsn)
                return int(await self.connection.fetchval(VERSION_SQL))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("catalog version read through the pool", reason=str(exc))
            self.retry_at = time.monotonic() + RETRY_AFTER_S
            await self.close()
            return await self.pooled.current()

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                await connection.close(timeout=2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                connection.terminate()
