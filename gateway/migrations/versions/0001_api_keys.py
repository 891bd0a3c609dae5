"""API keys: role, tenant, SHA-256 of the secret, expiry, revocation, per-key rate limit.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bss.utc_datetime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", bss.utc_datetime.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("expires_at", bss.utc_datetime.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", bss.utc_datetime.UtcDateTime(timezone=True), nullable=True),
        sa.Column("rate_limit_per_s", sa.Float(), nullable=True),
        sa.Column("rate_limit_burst", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(role = 'reseller') = (tenant_id IS NOT NULL)", name=op.f("ck_api_keys_tenant_iff_reseller")
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'support_agent', 'reseller', 'storefront', 'system')",
            name=op.f("ck_api_keys_role_known"),
        ),
        sa.CheckConstraint(
            "rate_limit_burst IS NULL OR rate_limit_burst >= 1", name=op.f("ck_api_keys_burst_positive")
        ),
        sa.CheckConstraint("rate_limit_per_s IS NULL OR rate_limit_per_s > 0", name=op.f("ck_api_keys_rate_positive")),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
