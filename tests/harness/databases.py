"""Test databases: SQLite files by default, PostgreSQL databases when DATABASE_URL points at a server.

`DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres make test` runs every database test on
PostgreSQL: each test that asks for a database gets a fresh one, dropped at the end of the session.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bss.db import create_engine
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases


def postgres_server_url() -> str | None:
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url:
        return None
    if make_url(url).get_backend_name() != "postgresql":
        raise RuntimeError(f"{DATABASE_URL_ENV} must be a postgresql+asyncpg:// URL, not {url!r}")
    return url


def backend_name() -> str:
    return "postgresql" if postgres_server_url() else "sqlite"


class DatabaseFactory(ThrowawayDatabases):
    """Throwaway databases for one test session (SQLite files in pytest's temporary folder)."""

    def __init__(self, tmp_dir: Path) -> None:
        super().__init__(postgres_server_url(), prefix="bss_test", tmp_dir=tmp_dir)


BOTH_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not os.environ.get(DATABASE_URL_ENV), reason=f"{DATABASE_URL_ENV} is not set"),
    ),
]
"""For a test that runs on a SQLite file always, and on PostgreSQL too when DATABASE_URL names a server."""


@asynccontextmanager
async def engine_with(backend: str, metadata: MetaData, label: str, tmp_dir: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh database of `backend` ("sqlite" or "postgresql", as `BOTH_BACKENDS` names them)
    holding `metadata`'s tables; the database (`bss_test_<label>_<random>`) is dropped afterwards."""
    server = postgres_server_url() if backend == "postgresql" else None
    databases = ThrowawayDatabases(server, prefix="bss_test", tmp_dir=tmp_dir)
    engine = create_engine(await databases.create(label), pool_size=2)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield engine
    finally:
        await engine.dispose()
        await databases.drop_all()
