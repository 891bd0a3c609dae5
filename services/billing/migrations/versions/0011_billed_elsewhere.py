"""An imported subscription keeps the last month another system invoiced (`billed_elsewhere_through`, from
`SubscriptionCreated.v1`): no close invoices it or a month before it, and usage measured in one is refused
(docs/domain.md, "Importing an existing book").

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("billed_elsewhere_through", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("billed_elsewhere_through")
