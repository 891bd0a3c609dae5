"""`packed` values travel as one string and `unpacked` splits them back in SQL, exactly (bss/db.py)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from bss.db import create_engine, packed, unpacked
from tests.harness.databases import DatabaseFactory, backend_name

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(backend_name() != "postgresql", reason="string_to_array is PostgreSQL's"),
]


async def test_packed_values_come_back_in_order_and_exact(databases: DatabaseFactory) -> None:
    engine = create_engine(await databases.create("packed"), pool_size=1)
    ids = [str(uuid.uuid4()) for _ in range(1_000)]
    quantities = ["0", "1.50", "1E+3", "0.0000001", "123456789012345678901234567890.123456789"]
    try:
        async with engine.connect() as connection:
            assert list(await connection.scalar(text(f"SELECT {unpacked('ids')}"), {"ids": packed(ids)})) == ids
            split = await connection.scalar(text(f"SELECT {unpacked('q', 'numeric')}"), {"q": packed(quantities)})
            assert split == [Decimal(q) for q in quantities]
            assert [str(q) for q in split][:2] == ["0", "1.50"]  # the scale travels too
            assert list(await connection.scalar(text(f"SELECT {unpacked('none')}"), {"none": packed([])})) == []
            assert list(await connection.scalar(text(f"SELECT {unpacked('e')}"), {"e": packed(["a", ""])})) == [
                "a",
                "",
            ]
    finally:
        await engine.dispose()
