"""Databases a test session or a benchmark creates and removes afterwards.

SQLite files in a temporary folder by default; given a PostgreSQL server URL (the `DATABASE_URL` the tests and
benchmarks read), fresh `<prefix>_<label>_<random>` databases on that server, dropped at the end.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

DATABASE_URL_ENV = "DATABASE_URL"


class ThrowawayDatabases:
    def __init__(self, server_url: str | None, *, prefix: str = "bss_bench", tmp_dir: Path | None = None) -> None:
        if server_url and make_url(server_url).get_backend_name() != "postgresql":
            raise ValueError(f"{DATABASE_URL_ENV} must be a postgresql+asyncpg:// URL, not {server_url!r}")
        self._server = server_url or None
        self._prefix = prefix
        self._tmp_dir = tmp_dir
        self._owns_tmp_dir = tmp_dir is None
        self._created: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self._server else "sqlite"

    async def create(self, label: str) -> str:
        """A new, empty database; returns its SQLAlchemy async URL."""
        name = f"{self._prefix}_{label}_{uuid.uuid4().hex[:8]}"
        if self._server is None:
            if self._tmp_dir is None:
                self._tmp_dir = Path(tempfile.mkdtemp(prefix=f"{self._prefix}-"))
            return f"sqlite+aiosqlite:///{self._tmp_dir / (name + '.db')}"
        connection = await asyncpg.connect(self._admin_dsn())
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self._created.append(name)
        return make_url(self._server).set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if self._owns_tmp_dir and self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            self._tmp_dir = None
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
