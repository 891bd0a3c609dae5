"""Resellers' billing profiles: billing's copy of subscriptions' effective-dated profiles (legal name, address,
VAT id, invoice currency, price list of FX-billed invoices, payment terms, locale; docs/domain.md, "Billing
profiles"), one row per reseller and first day.

Resellers registered before profiles existed have no row; their invoices name them as registered (`resellers`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bss.utc_datetime import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reseller_billing_profiles",
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reseller_id", "effective_from", name=op.f("pk_reseller_billing_profiles")),
    )


def downgrade() -> None:
    op.drop_table("reseller_billing_profiles")
