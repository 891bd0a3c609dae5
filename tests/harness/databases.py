"""Test databases: SQLite files by default, PostgreSQL databases when DATABASE_URL points at a server.

`DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres make test` runs every database test on
PostgreSQL: each test that asks for a database gets a fresh one, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

ENV_VAR = "DATABASE_URL"


def postgres_server_url() -> str | None:
    url = os.environ.get(ENV_VAR, "").strip()
    if not url:
        return None
    if make_url(url).get_backend_name() != "postgresql":
        raise RuntimeError(f"{ENV_VAR} must be a postgresql+asyncpg:// URL, not {url!r}")
    return url


def backend_name() -> str:
    return "postgresql" if postgres_server_url() else "sqlite"


class DatabaseFactory:
    """Creates throwaway databases for one test session and drops them at the end."""

    def __init__(self, tmp_dir: Path) -> None:
        self._tmp = tmp_dir
        self._server = postgres_server_url()
        self._created: list[str] = []

    async def create(self, label: str) -> str:
        """A new, empty database; returns its SQLAlchemy async URL."""
        name = f"bss_test_{label}_{uuid.uuid4().hex[:8]}"
        if self._server is None:
            return f"sqlite+aiosqlite:///{self._tmp / (name + '.db')}"
        connection = await asyncpg.connect(self._admin_dsn())
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self._created.append(name)
        return make_url(self._server).set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if self._server is None or not self._created:
            return
        connection = await asyncpg.connect(self._admin_dsn())
        try:
            for name in self._created:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self._created.clear()

    def _admin_dsn(self) -> str:
        assert self._server is not None
        url = make_url(self._server).set(drivername="postgresql", database="postgres")
        return url.render_as_string(hide_password=False)
