"""Support items carry the period whose invoice bills them: a charge or credit for a month already invoiced
goes on the next open invoice as an adjustment, as late usage does (it was dropped before).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("support_items", sa.Column("billed_in", sa.Date(), nullable=True))
    op.execute("UPDATE support_items SET billed_in = period")
    op.create_index(op.f("ix_support_items_billed_in"), "support_items", ["billed_in"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_support_items_billed_in"), table_name="support_items")
    op.drop_column("support_items", "billed_in")
