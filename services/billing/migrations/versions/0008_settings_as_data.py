"""Billing's settings become effective-dated data (`setting_versions`): tax rates, distributor discounts,
price-list currencies, the Tier 1 program and the seller, changed through the admin API with an audit trail.

The Tier 1 program's activations move from `tier_one_program` into the settings (`tier-one-program`, scope `*`,
from the same date), which is where billing reads it from now on; the old table is dropped. The environment's
`BILLING_TAX_RATES` and friends seed the settings when the service starts on a database that has none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bss.effective_settings_ops import create_setting_versions_v1, drop_setting_versions_v1
from bss.exact_numeric import ExactDecimal
from bss.utc_datetime import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PROGRAMS = sa.table(
    "tier_one_program",
    sa.column("program_id", sa.String(36)),
    sa.column("discount_percent", ExactDecimal()),
    sa.column("effective_from", sa.Date()),
)


def upgrade() -> None:
    create_setting_versions_v1()
    bind = op.get_bind()
    programs = bind.execute(sa.select(_PROGRAMS).order_by(_PROGRAMS.c.effective_from)).all()
    versions = sa.table(
        "setting_versions",
        sa.column("kind", sa.String),
        sa.column("scope", sa.String),
        sa.column("value", sa.JSON),
        sa.column("previous", sa.JSON),
        sa.column("effective_from", sa.Date),
        sa.column("recorded_at", UtcDateTime()),
        sa.column("recorded_by", sa.String),
        sa.column("reason", sa.String),
    )
    now = datetime.now(UTC)
    for program in programs:
        bind.execute(
            versions.insert().values(
                kind="tier-one-program",
                scope="*",
                value={"discount_percent": str(program.discount_percent)},
                previous=None,
                effective_from=program.effective_from,
                recorded_at=now,
                recorded_by=f"event:support:{program.program_id}",
                reason="moved from tier_one_program (migration 0008)",
            )
        )
    op.drop_table("tier_one_program")


def downgrade() -> None:
    op.create_table(
        "tier_one_program",
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("discount_percent", ExactDecimal(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_tier_one_program")),
    )
    drop_setting_versions_v1()
