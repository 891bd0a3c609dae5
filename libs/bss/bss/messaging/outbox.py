"""The outbox writer: a use case adds its events to the outbox inside its own transaction.

High-volume writers add a *bundle*: one outbox row carrying many ready-encoded messages of one type for one
topic (usage ingestion writes one row per HTTP batch instead of one per event). The relay expands a bundle
and publishes its messages like single rows: same acknowledgement, retention and replay rules. Once the
transaction that wrote a bundle commits, its messages are also handed to the relays of this process
(`on_bundles_commit`), which send them from memory instead of reading the row back (ADR 0022); the row stays
the record, and whatever the relay does not take from memory it reads as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from uuid6 import uuid7

from bss.events.envelope import CloudEvent, EventData, make_event
from bss.messaging.tables import MessagingTables

_PENDING_FLAG = "bss_outbox_pending"
_PENDING_BUNDLES = "bss_outbox_bundles"
BUNDLE_PREFIX = "bundle:"
"""An outbox row whose `event_type` starts with this holds many messages of the type that follows."""


class BundledMessage(NamedTuple):
    """One message of a bundle: its CloudEvents id, Kafka key and encoded envelope (a tuple: bundles carry
    thousands, and msgpack writes and reads tuples without building anything else)."""

    event_id: str
    key: str | None
    value: bytes


_BUNDLE = msgspec.msgpack.Decoder(list[BundledMessage])


def encode_bundle(messages: Sequence[BundledMessage]) -> bytes:
    return msgspec.msgpack.encode(messages)


def decode_bundle(payload: bytes) -> list[BundledMessage]:
    return _BUNDLE.decode(payload)


class CommittedBundle(NamedTuple):
    """A bundle whose transaction committed: its outbox row (`seq`) and its messages, as written, and the engine
    it was written through (a relay takes only its own database's bundles)."""

    seq: int
    topic: str
    event_type: str
    messages: Sequence[BundledMessage]
    bind: object


_wake_callbacks: list[Callable[[], None]] = []
_bundle_callbacks: list[Callable[[list[CommittedBundle]], None]] = []


class Outbox:
    """Writes events beside the state change that causes them; they leave only if the transaction commits."""

    def __init__(self, tables: MessagingTables, source: str) -> None:
        self._table = tables.outbox
        self.source = source

    async def add(
        self,
        session: AsyncSession,
        data: EventData,
        *,
        now: datetime,
        event_id: str | None = None,
        key: str | None = None,
    ) -> CloudEvent:
        """Record one event; the Kafka key defaults to the contract's aggregate id."""
        envelope = make_event(data, source=self.source, time=now, event_id=event_id)
        await self.add_envelopes(session, [(envelope, data.topic, key or envelope.subject)], now=now)
        return envelope

    async def add_envelopes(
        self,
        session: AsyncSession,
        envelopes: Iterable[tuple[CloudEvent, str, str | None]],
        *,
        now: datetime,
    ) -> None:
        """Record ready-made envelopes as (event, topic, key): for bulk writers that build their own."""
        rows: list[dict[str, Any]] = [
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "topic": topic,
                "key": key,
                "payload": envelope.to_json(),
                "created_at": now,
            }
            for envelope, topic, key in envelopes
        ]
        if not rows:
            return
        await session.execute(insert(self._table), rows)
        session.sync_session.info[_PENDING_FLAG] = True

    async def add_bundle(
        self,
        session: AsyncSession,
        *,
        topic: str,
        event_type: str,
        messages: Sequence[BundledMessage],
        now: datetime,
    ) -> None:
        """Record many ready-encoded envelopes of one type as one row (one write for a whole batch)."""
        if not messages:
            return
        row = {
            "event_id": str(uuid7()),
            "event_type": BUNDLE_PREFIX + event_type,
            "topic": topic,
            "key": None,
            "payload": encode_bundle(messages),
            "created_at": now,
        }
        seq = (await session.execute(insert(self._table).values(row).returning(self._table.c.seq))).scalar_one()
        info = session.sync_session.info
        info[_PENDING_FLAG] = True
        bundle = CommittedBundle(seq, topic, event_type, messages, session.sync_session.get_bind())
        info.setdefault(_PENDING_BUNDLES, []).append(bundle)

    async def find_bundled(
        self, session: AsyncSession, event_type: str, event_id: str, *, chunk: int = 20
    ) -> tuple[BundledMessage, datetime] | None:
        """The message `event_id` of a bundle of `event_type` still in the outbox (it stays there for the relay's
        retention), with the time its bundle was written; bundles are searched newest first."""
        table = self._table
        query = (
            select(table.c.seq, table.c.payload, table.c.created_at)
            .where(table.c.event_type == BUNDLE_PREFIX + event_type)
            .order_by(table.c.seq.desc())
            .limit(chunk)
        )
        before: int | None = None
        while True:
            rows = (await session.execute(query if before is None else query.where(table.c.seq < before))).all()
            for seq, payload, created_at in rows:
                before = seq
                for message in decode_bundle(payload):
                    if message.event_id == event_id:
                        return message, created_at
            if len(rows) < chunk:
                return None


def on_outbox_commit(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after any commit that wrote outbox rows (the relay wakes instead of polling).

    Returns a function that unregisters it.
    """
    _wake_callbacks.append(callback)

    def unregister() -> None:
        if callback in _wake_callbacks:
            _wake_callbacks.remove(callback)

    return unregister


def on_bundles_commit(callback: Callable[[list[CommittedBundle]], None]) -> Callable[[], None]:
    """Call `callback` with the bundles of each commit that wrote some (a relay sends them from memory).

    Returns a function that unregisters it.
    """
    _bundle_callbacks.append(callback)

    def unregister() -> None:
        if callback in _bundle_callbacks:
            _bundle_callbacks.remove(callback)

    return unregister


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    bundles = session.info.pop(_PENDING_BUNDLES, None)
    if bundles:
        for bundle_callback in list(_bundle_callbacks):
            bundle_callback(bundles)
    if session.info.pop(_PENDING_FLAG, False):
        for callback in list(_wake_callbacks):
            callback()


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING_FLAG, None)
    session.info.pop(_PENDING_BUNDLES, None)
