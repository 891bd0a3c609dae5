"""FX rates of any pair: `fx_pairs` keeps the pairs a rate table quotes besides its units per USD (1 base =
rate quote), which billing converts with directly, inversely or through its base currency (docs/domain.md,
"FX rates").

The `fx_rates` rows stay as they are and are read as the pairs with base USD: nothing moves, nothing is lost.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-14 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bss.exact_numeric import ExactDecimal

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fx_pairs",
        sa.Column("rate_table_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("rate_table_id", "effective_from", "base", "quote", name=op.f("pk_fx_pairs")),
    )


def downgrade() -> None:
    op.drop_table("fx_pairs")
