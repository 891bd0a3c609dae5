"""The messaging tables every service keeps in its own database: outbox, partition offsets, inbox."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    text,
)

from bss.utc_datetime import UtcDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True, slots=True)
class MessagingTables:
    outbox: Table
    outbox_offsets: Table
    inbox: Table
    idempotency: Table

    @classmethod
    def define(cls, metadata: MetaData) -> MessagingTables:
        """Add the messaging tables to a service's metadata (each service owns its copy)."""
        outbox = Table(
            "outbox",
            metadata,
            Column("seq", _SEQ, primary_key=True, autoincrement=True),
            Column("event_id", String(200), nullable=False, unique=True),
            Column("event_type", String(200), nullable=False),
            Column("topic", String(200), nullable=False),
            Column("key", String(200), nullable=True),
            Column("payload", LargeBinary, nullable=False),
            Column("created_at", UtcDateTime(), nullable=False),
            Column("sent_at", UtcDateTime(), nullable=True),
            Column("attempts", Integer, nullable=False, server_default=text("0")),
            Column("last_error", String(500), nullable=True),
            comment="Events written in the same transaction as the state change; the relay publishes them.",
        )
        # The relay's hot query: the oldest unsent rows. A partial index keeps it tiny on PostgreSQL and SQLite.
        Index(
            "ix_outbox_unsent",
            outbox.c.seq,
            postgresql_where=outbox.c.sent_at.is_(None),
            sqlite_where=outbox.c.sent_at.is_(None),
        )
        Index("ix_outbox_sent_at", outbox.c.sent_at)
        outbox_offsets = Table(
            "outbox_offsets",
            metadata,
            Column("topic", String(200), primary_key=True),
            Column("partition", Integer, primary_key=True),
            Column("high_offset", BigInteger, nullable=False),
            Column("event_id", String(200), nullable=False),
            comment="The last record acknowledged per partition (a log mark): an emptied broker no longer has it.",
        )
        inbox = Table(
            "inbox",
            metadata,
            Column("consumer", String(100), primary_key=True),
            Column("event_id", String(200), primary_key=True),
            Column("event_type", String(200), nullable=False),
            Column("processed_at", UtcDateTime(), nullable=False),
            comment="Events a consumer has applied, recorded in the same transaction as their effects.",
        )
        idempotency = Table(
            "idempotency_keys",
            metadata,
            Column("scope", String(200), primary_key=True),
            Column("key", String(200), primary_key=True),
            Column("fingerprint", String(64), nullable=False),
            Column("status", Integer, nullable=False),
            Column("response", LargeBinary, nullable=False),
            Column("created_at", UtcDateTime(), nullable=False),
            comment="Answers to creating POSTs by Idempotency-Key: the same key and body get the same answer.",
        )
        return cls(outbox=outbox, outbox_offsets=outbox_offsets, inbox=inbox, idempotency=idempotency)
