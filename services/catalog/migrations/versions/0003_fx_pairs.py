"""FX rates of any pair: `fx_pairs` keeps the pairs a publication quotes besides its units per USD (1 base = rate
quote). The `fx_rates` rows stay as they are: they are the pairs with base USD.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-14 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bss.exact_numeric import ExactDecimal
from bss.utc_datetime import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fx_pairs",
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rate", ExactDecimal(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("effective_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("base", "quote", "effective_from", name=op.f("pk_fx_pairs")),
    )


def downgrade() -> None:
    op.drop_table("fx_pairs")
