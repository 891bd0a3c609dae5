"""`UuidText` columns hold canonical UUID text for Python on both databases; PostgreSQL stores native `uuid`."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select, text

from bss.db import create_engine
from bss.uuid_text import UuidText
from tests.harness.databases import DatabaseFactory, backend_name

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_uuid_text_round_trips_canonical_text_and_filters_by_it(databases: DatabaseFactory) -> None:
    metadata = MetaData()
    table = Table("keyed", metadata, Column("id", UuidText(), primary_key=True), Column("note", String(10)))
    engine = create_engine(await databases.create("uuid_text"), pool_size=1)
    ids = sorted(str(uuid.uuid4()) for _ in range(3))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(insert(table), [{"id": value, "note": f"n{i}"} for i, value in enumerate(ids)])
        async with engine.connect() as connection:
            read = list((await connection.execute(select(table.c.id).order_by(table.c.id))).scalars())
            assert read == ids  # uuid order is the order of the canonical text
            assert all(type(value) is str for value in read)
            found = await connection.scalar(select(table.c.note).where(table.c.id == ids[1]))
            assert found == "n1"
            stored = await connection.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns WHERE table_name = 'keyed' AND column_name = 'id'"
                )
                if backend_name() == "postgresql"
                else text("SELECT type FROM pragma_table_info('keyed') WHERE name = 'id'")
            )
            assert stored == ("uuid" if backend_name() == "postgresql" else "VARCHAR(36)")
    finally:
        await engine.dispose()
