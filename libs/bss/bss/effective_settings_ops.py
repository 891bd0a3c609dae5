"""Alembic operations for the `setting_versions` table (`bss.effective_settings`), versioned like the messaging
tables' (`bss.messaging.migration_ops`): a later change gets a `*_v2`, and `*_v1` never changes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bss.utc_datetime import UtcDateTime


def create_setting_versions_v1() -> None:
    op.create_table(
        "setting_versions",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_setting_versions")),
        comment="Every change of a setting kept as data: from effective_from on, scope of kind has value.",
    )
    op.create_index(
        "ix_setting_versions_lookup", "setting_versions", ["kind", "scope", "effective_from", "seq"], unique=False
    )


def drop_setting_versions_v1() -> None:
    op.drop_index("ix_setting_versions_lookup", table_name="setting_versions")
    op.drop_table("setting_versions")
