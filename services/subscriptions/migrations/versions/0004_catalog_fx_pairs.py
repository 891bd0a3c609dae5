"""The catalog read model keeps the FX pairs of `FxRatesPublished.v1` (`pairs`, 1 base = rate quote): a currency
is priceable when a price-list currency reaches it through per-USD rates and pairs, either direction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-15 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bss.exact_numeric import ExactDecimal
from bss.utc_datetime import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_fx_pairs",
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rate", ExactDecimal(), nullable=False),
        sa.Column("event_time", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("base", "quote", "effective_from", name=op.f("pk_catalog_fx_pairs")),
    )


def downgrade() -> None:
    op.drop_table("catalog_fx_pairs")
