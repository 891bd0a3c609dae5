"""The customer registry: a name per reseller and customer id (the id usage names), set through the API or taken
from an Acronis usage report's tenant names (docs/domain.md, "Customers").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bss.utc_datetime import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reseller_id", "customer_id", name=op.f("pk_customers")),
    )


def downgrade() -> None:
    op.drop_table("customers")
