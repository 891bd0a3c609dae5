"""The usage ledger is keyed by a UUID and keeps a 64-bit fingerprint; a counted event's row holds nothing else.

Every counted event writes one ledger row in the usage consumer's statement (ADR 0022). Its row was the event id
as text (up to 200 characters, compared through the collation), a 32-digit hex fingerprint, a status and every
field of the event: about 270 bytes per event with its index. It is now `event_key` (the id itself when it is a
canonical lower-case UUID, else a version 8 UUID derived from the id's SHA-256: `usage_wire.event_key`), the
first 64 bits of the same fingerprint as a `bigint`, and `received_at`: about 100 bytes. A refused or
dead-lettered event still keeps its reason and what it named; `status`, `aggregated` and `billed_in` are gone
(`reason_code` says the fate; `billed_in` was never written).

Existing rows are copied whole: their fields stay, their keys and fingerprints are computed from their ids and
hex fingerprints exactly as the code computes them for new events (a test holds the two to each other), so a
resend of an event decided before this migration is still a duplicate of it, and a conflict still a conflict.

Downgrading copies the rows back with a 16-digit hex fingerprint (the 64 bits kept), which the earlier code
would read as another payload: a resend of an event decided before the downgrade would be reported as a
conflict (and still not counted twice). A counted event whose id was not a canonical UUID comes back under
its key, which is all the new ledger kept of it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 02:00:00
"""

import hashlib
import re
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from bss.exact_numeric import ExactDecimal
from bss.utc_datetime import UtcDateTime
from bss.uuid_text import UuidText

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CANONICAL = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_DETAILS = ("reason_code", "detail", "subscription_id", "sku", "customer_id", "quantity", "measured_at")


def event_key(event_id: str) -> str:
    """`usage_wire.event_key` as of this migration (frozen here: the rows it keys must never move)."""
    if re.fullmatch(_CANONICAL, event_id):
        return event_id
    digest = bytearray(hashlib.sha256(event_id.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


def fingerprint(hex_digest: str) -> int:
    """The first 64 bits of a hex BLAKE2b digest, signed (`usage_wire.fingerprint_of` of the same payload)."""
    return int.from_bytes(bytes.fromhex(hex_digest[:16]), "big", signed=True)


# PostgreSQL computes the same in SQL: the key from the id's SHA-256 with the version and variant bits set, and
# the fingerprint's first 16 hex digits read as a two's complement bigint.
_KEY_SQL = (
    f"CASE WHEN o.event_id ~ '{_CANONICAL}' THEN CAST(o.event_id AS uuid) ELSE CAST(encode(set_byte(set_byte("
    "h.b, 6, (get_byte(h.b, 6) & 15) | 128), 8, (get_byte(h.b, 8) & 63) | 128), 'hex') AS uuid) END"
)
_UPGRADE_COPY = (
    "INSERT INTO usage_events (event_key, fingerprint, received_at, event_id, " + ", ".join(_DETAILS) + ", conflicts) "
    f"SELECT {_KEY_SQL}, CAST(CAST('x' || substr(o.fingerprint, 1, 16) AS bit(64)) AS bigint), o.received_at, "
    f"CASE WHEN o.event_id ~ '{_CANONICAL}' THEN NULL ELSE o.event_id END, "
    + ", ".join(f"o.{name}" for name in _DETAILS)
    + ", NULLIF(o.conflicts, 0) FROM usage_events_0012 AS o "
    "CROSS JOIN LATERAL (SELECT substring(sha256(convert_to(o.event_id, 'UTF8')) FROM 1 FOR 16) AS b) AS h"
)
_DOWNGRADE_COPY = (
    "INSERT INTO usage_events (event_id, fingerprint, status, " + ", ".join(_DETAILS) + ", aggregated, billed_in, "
    "conflicts, received_at) SELECT COALESCE(n.event_id, CAST(n.event_key AS text)), "
    "lpad(to_hex(n.fingerprint), 16, '0'), CASE WHEN n.reason_code IS NULL THEN 'accepted' ELSE 'rejected' END, "
    + ", ".join(f"n.{name}" for name in _DETAILS)
    + ", n.reason_code IS NULL, NULL, COALESCE(n.conflicts, 0), n.received_at FROM usage_events_0013 AS n"
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _set_aside(table: str, suffix: str) -> None:
    """Rename the table and, on PostgreSQL, its constraints (their names are the indexes', unique per schema)."""
    op.rename_table(table, f"{table}_{suffix}")
    if _postgres():
        names = [f"pk_{table}", *([f"ck_{table}_status_known"] if suffix == "0012" else [])]
        for name in names:
            op.execute(f"ALTER TABLE {table}_{suffix} RENAME CONSTRAINT {name} TO {name}_{suffix}")


def upgrade() -> None:
    _set_aside("usage_events", "0012")
    op.create_table(
        "usage_events",
        sa.Column("event_key", UuidText(), nullable=False),
        sa.Column("fingerprint", sa.BigInteger(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("subscription_id", UuidText(), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("customer_id", UuidText(), nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("measured_at", UtcDateTime(), nullable=True),
        sa.Column("conflicts", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("event_key", name=op.f("pk_usage_events")),
    )
    if _postgres():
        op.execute(_UPGRADE_COPY)
    else:
        _copy_in_python("usage_events_0012", "usage_events", _upgraded)
    op.drop_table("usage_events_0012")


def _upgraded(row: dict[str, Any]) -> dict[str, Any]:
    key = event_key(row["event_id"])
    return {
        "event_key": key,
        "fingerprint": fingerprint(row["fingerprint"]),
        "received_at": row["received_at"],
        "event_id": None if key == row["event_id"] else row["event_id"],
        **{name: row[name] for name in _DETAILS},
        "conflicts": row["conflicts"] or None,
    }


def downgrade() -> None:
    _set_aside("usage_events", "0013")
    op.create_table(
        "usage_events",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("subscription_id", UuidText(), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("customer_id", UuidText(), nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("measured_at", UtcDateTime(), nullable=True),
        sa.Column("aggregated", sa.Boolean(), nullable=False),
        sa.Column("billed_in", sa.Date(), nullable=True),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('accepted', 'rejected')", name=op.f("ck_usage_events_status_known")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_usage_events")),
    )
    if _postgres():
        op.execute(_DOWNGRADE_COPY)
    else:
        _copy_in_python("usage_events_0013", "usage_events", _downgraded)
    op.drop_table("usage_events_0013")


def _downgraded(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": row["event_id"] or row["event_key"],
        "fingerprint": format(row["fingerprint"] & (2**64 - 1), "016x"),
        "status": "accepted" if row["reason_code"] is None else "rejected",
        **{name: row[name] for name in _DETAILS},
        "aggregated": row["reason_code"] is None,
        "billed_in": None,
        "conflicts": row["conflicts"] or 0,
        "received_at": row["received_at"],
    }


def _copy_in_python(source: str, target: str, convert: Any) -> None:
    """SQLite (no SHA-256, no regular expressions in SQL): the rows read, converted and written in chunks. The
    values are copied as stored (no type conversion), so exact decimals and instants keep their text."""
    bind = op.get_bind()
    rows = [dict(row._mapping) for row in bind.execute(sa.text(f"SELECT * FROM {source}"))]
    if not rows:
        return
    converted = [convert(row) for row in rows]
    names = list(converted[0])
    insert = sa.text(f"INSERT INTO {target} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})")
    for start in range(0, len(converted), 1000):
        bind.execute(insert, converted[start : start + 1000])
