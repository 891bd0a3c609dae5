"""Subscriptions carry the ramp-up window: the first and last billing period whose commitment is waived, as
subscriptions decided them (`RampUpGranted.first_period` / `last_period`, `TrialConverted.ramp_up_*`).

Rows kept from older events stay null and billing counts their `ramp_up_cycles` from the month the subscription
became paid, as before; nothing is backfilled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("ramp_up_first_period", sa.Date(), nullable=True))
    op.add_column("subscriptions", sa.Column("ramp_up_last_period", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.drop_column("ramp_up_last_period")
        batch_op.drop_column("ramp_up_first_period")
