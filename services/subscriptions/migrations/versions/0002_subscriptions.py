"""Subscriptions: resellers, subscriptions, status history, tier changes, ramp-up policy, catalog read model.

The partial unique index `uq_subscriptions_live_per_exclusion_set` is the exclusion-set rule: at most one
trial, active or suspended subscription per reseller and exclusion set, whatever runs concurrently.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:12:14.146149
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bss.exact_numeric import ExactDecimal
from bss.utc_datetime import UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_deactivations",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("event_time", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_catalog_deactivations")),
    )
    op.create_table(
        "catalog_fx_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("units_per_usd", ExactDecimal(), nullable=False),
        sa.Column("event_time", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("currency", "effective_from", name=op.f("pk_catalog_fx_rates")),
    )
    op.create_table(
        "catalog_product_versions",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=200), nullable=False),
        sa.Column("commitments", sa.JSON(), nullable=False),
        sa.Column("upgrade_product_ids", sa.JSON(), nullable=False),
        sa.Column("exclusion_set", sa.String(length=200), nullable=True),
        sa.Column("orderable_before", sa.Date(), nullable=True),
        sa.Column("restricted_countries", sa.JSON(), nullable=False),
        sa.Column("restricted_partners_since", sa.Date(), nullable=True),
        sa.Column("event_time", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "effective_from", name=op.f("pk_catalog_product_versions")),
    )
    op.create_table(
        "ramp_up_policy",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cycles", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("cycles BETWEEN 0 AND 3", name=op.f("ck_ramp_up_policy_cycles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ramp_up_policy")),
    )
    op.create_table(
        "resellers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("billing_email", sa.String(length=254), nullable=False),
        sa.Column("billing_address", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("partner_since", sa.Date(), nullable=False),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("contract_signed_on", sa.Date(), nullable=False),
        sa.Column("tax_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'active'"), nullable=False),
        sa.Column("ramp_up_cycles", sa.Integer(), nullable=True),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f("ck_resellers_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resellers")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("exclusion_set", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("trial_ends_at", UtcDateTime(), nullable=True),
        sa.Column("auto_convert", sa.Boolean(), nullable=False),
        sa.Column("paid_from", UtcDateTime(), nullable=True),
        sa.Column("ramp_up_cycles", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("ramp_up_scope", sa.String(length=20), nullable=True),
        sa.Column("ramp_up_first_period", sa.Date(), nullable=True),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=4000), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('trial', 'active', 'suspended', 'cancelled', 'expired')", name=op.f("ck_subscriptions_status")
        ),
        sa.CheckConstraint("ramp_up_cycles BETWEEN 0 AND 3", name=op.f("ck_subscriptions_ramp_up_cycles")),
        sa.ForeignKeyConstraint(["reseller_id"], ["resellers.id"], name=op.f("fk_subscriptions_reseller_id_resellers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(op.f("ix_subscriptions_reseller_id"), "subscriptions", ["reseller_id"], unique=False)
    op.create_index(op.f("ix_subscriptions_trial_ends_at"), "subscriptions", ["trial_ends_at"], unique=False)
    op.create_index(
        "uq_subscriptions_live_per_exclusion_set",
        "subscriptions",
        ["reseller_id", "exclusion_set"],
        unique=True,
        sqlite_where=sa.text("status IN ('trial', 'active', 'suspended')"),
        postgresql_where=sa.text("status IN ('trial', 'active', 'suspended')"),
    )

    op.create_table(
        "subscription_status_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_status_changes_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_status_changes")),
    )
    op.create_index(
        op.f("ix_subscription_status_changes_subscription_id"),
        "subscription_status_changes",
        ["subscription_id"],
        unique=False,
    )

    op.create_table(
        "tier_changes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("from_product_id", sa.String(length=36), nullable=False),
        sa.Column("to_product_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("replaced_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("direction IN ('upgrade', 'downgrade')", name=op.f("ck_tier_changes_direction")),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["subscriptions.id"], name=op.f("fk_tier_changes_subscription_id_subscriptions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_changes")),
    )
    op.create_index(op.f("ix_tier_changes_subscription_id"), "tier_changes", ["subscription_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tier_changes_subscription_id"), table_name="tier_changes")

    op.drop_table("tier_changes")
    op.drop_index(op.f("ix_subscription_status_changes_subscription_id"), table_name="subscription_status_changes")

    op.drop_table("subscription_status_changes")
    op.drop_index("uq_subscriptions_live_per_exclusion_set", table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_trial_ends_at"), table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_reseller_id"), table_name="subscriptions")

    op.drop_table("subscriptions")
    op.drop_table("resellers")
    op.drop_table("ramp_up_policy")
    op.drop_table("catalog_product_versions")
    op.drop_table("catalog_fx_rates")
    op.drop_table("catalog_deactivations")
