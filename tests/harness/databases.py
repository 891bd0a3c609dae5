"""Test databases: SQLite files by default, PostgreSQL databases when DATABASE_URL points at a server.

`DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres make test` runs every database test on
PostgreSQL: each test that asks for a database gets a fresh one, dropped at the end of the session.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

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
