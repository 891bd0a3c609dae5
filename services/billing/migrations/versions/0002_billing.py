"""Billing: catalog, subscription and support read models; the usage ledger and aggregates; invoices;
the Acronis import mapping.

The usage ledger keeps every event id forever (permanent dedup); invoices are unique per (subscription,
period), so concurrent month closes cannot invoice a period twice; number_sequences holds the gapless counters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:22:35.589926
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
        "acronis_offering_map",
        sa.Column("offering_item", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("value_field", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "value_field IN ('value', 'absolute_value')", name=op.f("ck_acronis_offering_map_value_field_known")
        ),
        sa.PrimaryKeyConstraint("offering_item", name=op.f("pk_acronis_offering_map")),
    )
    op.create_table(
        "acronis_tenant_map",
        sa.Column("acronis_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("acronis_tenant_id", name=op.f("pk_acronis_tenant_map")),
    )
    op.create_table(
        "credit_notes",
        sa.Column("credit_note_id", sa.String(length=36), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", ExactDecimal(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("credit_note_id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_notes_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "fx_rates",
        sa.Column("rate_table_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("units_per_usd", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("rate_table_id", "effective_from", "currency", name=op.f("pk_fx_rates")),
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", ExactDecimal(), nullable=False),
        sa.Column("credited", ExactDecimal(), nullable=False),
        sa.Column("revenue", ExactDecimal(), nullable=False),
        sa.Column("cost", ExactDecimal(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'issued', 'paid', 'void')", name=op.f("ck_invoices_status_known")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
        sa.UniqueConstraint("subscription_id", "period", name=op.f("uq_invoices_subscription_id_period")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_reseller_id"), ["reseller_id"], unique=False)

    op.create_table(
        "number_sequences",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", "year", name=op.f("pk_number_sequences")),
    )
    op.create_table(
        "price_adjustments",
        sa.Column("price_book_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("percent", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("price_book_id", "effective_from", name=op.f("pk_price_adjustments")),
    )
    with op.batch_alter_table("price_adjustments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_adjustments_reseller_id"), ["reseller_id"], unique=False)

    op.create_table(
        "prices",
        sa.Column("price_book_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=True),
        sa.Column("unit_price", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint(
            "price_book_id", "product_id", "sku", "currency", "effective_from", name=op.f("pk_prices")
        ),
    )
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prices_reseller_id"), ["reseller_id"], unique=False)

    op.create_table(
        "product_versions",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=200), nullable=False),
        sa.Column("previous_name", sa.String(length=200), nullable=True),
        sa.Column("previous_tier", sa.String(length=200), nullable=True),
        sa.Column("commitments", sa.JSON(), nullable=False),
        sa.Column("usage_skus", sa.JSON(), nullable=False),
        sa.Column("deactivated_from", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("product_id", "effective_from", name=op.f("pk_product_versions")),
    )
    op.create_table(
        "resellers",
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("billing_email", sa.String(length=254), nullable=False),
        sa.Column("tax_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("reseller_id", name=op.f("pk_resellers")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("billing_currency", sa.String(length=3), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("paid_from", UtcDateTime(), nullable=True),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
        sa.Column("last_billed_period", sa.Date(), nullable=True),
        sa.Column("ramp_up_cycles", sa.Integer(), nullable=False),
        sa.Column("closed_through", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriptions_reseller_id"), ["reseller_id"], unique=False)

    op.create_table(
        "support_items",
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_support_items")),
    )
    with op.batch_alter_table("support_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_items_subscription_id"), ["subscription_id"], unique=False)

    op.create_table(
        "tier_changes",
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("to_product_id", sa.String(length=36), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", "effective_from", name=op.f("pk_tier_changes")),
    )
    op.create_table(
        "tier_one_program",
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("discount_percent", ExactDecimal(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_tier_one_program")),
    )
    op.create_table(
        "usage_aggregates",
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("billed_in", sa.Date(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("total", ExactDecimal(), nullable=False),
        sa.Column("peak", ExactDecimal(), nullable=False),
        sa.Column("last_value", ExactDecimal(), nullable=False),
        sa.Column("last_at", UtcDateTime(), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "subscription_id", "billed_in", "period", "sku", "customer_id", "day", name=op.f("pk_usage_aggregates")
        ),
    )
    with op.batch_alter_table("usage_aggregates", schema=None) as batch_op:
        batch_op.create_index("ix_usage_aggregates_billing", ["subscription_id", "billed_in"], unique=False)

    op.create_table(
        "usage_events",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("subscription_id", sa.String(length=36), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("measured_at", UtcDateTime(), nullable=True),
        sa.Column("aggregated", sa.Boolean(), nullable=False),
        sa.Column("billed_in", sa.Date(), nullable=True),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('accepted', 'rejected')", name=op.f("ck_usage_events_status_known")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_usage_events")),
    )


def downgrade() -> None:
    op.drop_table("usage_events")
    with op.batch_alter_table("usage_aggregates", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_aggregates_billing")

    op.drop_table("usage_aggregates")
    op.drop_table("tier_one_program")
    op.drop_table("tier_changes")
    with op.batch_alter_table("support_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_items_subscription_id"))

    op.drop_table("support_items")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_reseller_id"))

    op.drop_table("subscriptions")
    op.drop_table("resellers")
    op.drop_table("product_versions")
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prices_reseller_id"))

    op.drop_table("prices")
    with op.batch_alter_table("price_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_adjustments_reseller_id"))

    op.drop_table("price_adjustments")
    op.drop_table("number_sequences")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_reseller_id"))

    op.drop_table("invoices")
    op.drop_table("fx_rates")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_notes_invoice_id"))

    op.drop_table("credit_notes")
    op.drop_table("acronis_tenant_map")
    op.drop_table("acronis_offering_map")
