"""On PostgreSQL, outbox payloads are compressed with lz4 instead of the default pglz.

A usage intake bundle is one outbox row of several megabytes (ADR 0010): PostgreSQL compresses it on the way in
and decompresses it for the relay. pglz spent about 5 us of the server's CPU per usage event in the ingestion
benchmark; lz4 is several times faster. A server built without lz4 keeps pglz (a notice, not an error). Only
new values are affected. SQLite stores the payload as it is.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 05:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SET_COMPRESSION = """
DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION {method};
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'outbox.payload keeps the default compression: %', SQLERRM;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET_COMPRESSION.format(method="lz4"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET_COMPRESSION.format(method="default"))
