"""Writes to the catalog read model (`catalog_*` tables): the row of the most recent event wins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bss.db import insert_for


async def upsert_latest(session: AsyncSession, model: Any, keys: Sequence[str], values: dict[str, Any]) -> None:
    """Insert, or overwrite only when this event is at least as recent as the one stored (`event_time`)."""
    table = model.__table__
    statement = insert_for(session)(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in values if name not in keys},
        where=table.c.event_time <= statement.excluded.event_time,
    )
    await session.execute(statement)
