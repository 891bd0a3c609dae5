"""The inbox: a consumer records each event id it applied, in the same transaction as the effects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.db import insert_for
from bss.events.envelope import CloudEvent
from bss.messaging.tables import MessagingTables


class Inbox:
    def __init__(self, tables: MessagingTables) -> None:
        self._table = tables.inbox

    async def claim(self, session: AsyncSession, consumer: str, event: CloudEvent, *, now: datetime) -> bool:
        """True the first time `consumer` sees this event id; False for a redelivery (apply nothing)."""
        statement = (
            insert_for(session)(self._table)
            .values(consumer=consumer, event_id=event.id, event_type=event.type, processed_at=now)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        )
        result = await session.execute(statement.returning(self._table.c.event_id))
        return result.first() is not None

    async def claim_many(
        self, session: AsyncSession, consumer: str, events: Sequence[CloudEvent], *, now: datetime
    ) -> list[CloudEvent]:
        """The events of a batch not seen before (each id once, first occurrence wins), claimed together."""
        first: dict[str, CloudEvent] = {}
        for event in events:
            first.setdefault(event.id, event)
        if not first:
            return []
        # RETURNING names exactly the rows this statement inserted: race-free on both databases. The rows go
        # as a parameter list (SQLAlchemy's insertmanyvalues), so the statement is compiled once and cached.
        statement = (
            insert_for(session)(self._table)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(self._table.c.event_id)
        )
        rows = [
            {"consumer": consumer, "event_id": e.id, "event_type": e.type, "processed_at": now} for e in first.values()
        ]
        inserted = set((await session.execute(statement, rows)).scalars())
        fresh = [event for event_id, event in first.items() if event_id in inserted]
        return fresh

    async def seen(self, session: AsyncSession, consumer: str, event_id: str) -> bool:
        row = await session.execute(
            select(self._table.c.event_id).where(self._table.c.consumer == consumer, self._table.c.event_id == event_id)
        )
        return row.first() is not None
