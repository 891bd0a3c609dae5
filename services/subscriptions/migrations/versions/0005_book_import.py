"""The book import: `imported_records` keeps each reseller and subscription brought in from another system (its
source and source id, what it became, the line as imported), and a subscription keeps the last month another system
invoiced (`billed_elsewhere_through`; docs/domain.md, "Importing an existing book").

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bss.utc_datetime import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "imported_records",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("line", sa.JSON(), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('reseller', 'subscription')", name=op.f("ck_imported_records_kind")),
        sa.PrimaryKeyConstraint("kind", "source", "source_id", name=op.f("pk_imported_records")),
    )
    op.create_index(op.f("ix_imported_records_entity_id"), "imported_records", ["entity_id"])
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("billed_elsewhere_through", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("billed_elsewhere_through")
    op.drop_index(op.f("ix_imported_records_entity_id"), table_name="imported_records")
    op.drop_table("imported_records")
