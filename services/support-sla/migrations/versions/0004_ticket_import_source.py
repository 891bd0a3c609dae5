"""Imported tickets keep where they came from: the source system's name and its ticket id (a unique index over
both, so a ticket is imported once per source), and the SHA-256 of the content imported, which tells a re-import
of the same ticket (`unchanged`) from a different one under the same id (`conflict`). Tickets opened here leave
all three null; NULLs never clash in a unique index, on PostgreSQL or SQLite. Nothing is backfilled.

A unique index rather than a constraint, and no batch mode: SQLite adds a constraint only by copying the table, and
with foreign keys on, dropping the old `tickets` that events refer to fails; columns and an index it adds in place.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("source", sa.String(length=60), nullable=True))
    op.add_column("tickets", sa.Column("source_id", sa.String(length=200), nullable=True))
    op.add_column("tickets", sa.Column("source_fingerprint", sa.String(length=64), nullable=True))
    op.create_index("ix_tickets_source_source_id", "tickets", ["source", "source_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_tickets_source_source_id", table_name="tickets")
    # not batch: SQLite (3.35 on) drops a column in place, where a copy of `tickets` would trip the foreign keys
    op.drop_column("tickets", "source_fingerprint")
    op.drop_column("tickets", "source_id")
    op.drop_column("tickets", "source")
