"""Drop `ix_usage_aggregates_billing`: the primary key (subscription_id, billed_in, period, sku, customer_id,
day) leads with the same two columns and serves the same reads, while every counted usage key paid for a
second B-tree insert.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 05:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_aggregates") as batch_op:
        batch_op.drop_index("ix_usage_aggregates_billing")


def downgrade() -> None:
    with op.batch_alter_table("usage_aggregates") as batch_op:
        batch_op.create_index("ix_usage_aggregates_billing", ["subscription_id", "billed_in"], unique=False)
