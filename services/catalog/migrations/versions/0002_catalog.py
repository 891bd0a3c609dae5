"""Catalog: product types, products with dated versions and commitments, exclusion sets, SKUs, price books,
custom price lists, FX rates, storefront groups, published definitions and the change log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:14:28.934970
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
        "catalog_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("effective_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_catalog_changes")),
    )
    op.create_table(
        "exclusion_sets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusion_sets")),
        sa.UniqueConstraint("name", name=op.f("uq_exclusion_sets_name")),
    )
    op.create_table(
        "fx_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("units_per_usd", ExactDecimal(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("effective_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("currency", "effective_from", name=op.f("pk_fx_rates")),
    )
    op.create_table(
        "price_books",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'vendor_sell' AND reseller_id IS NULL) OR (kind = 'reseller_custom' AND reseller_id IS NOT NULL)",
            name=op.f("ck_price_books_kind_matches_reseller"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_books")),
    )
    with op.batch_alter_table("price_books", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_books_reseller_id"), ["reseller_id"], unique=False)

    op.create_table(
        "product_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=False),
        sa.Column("marketing_text", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_product_groups_name")),
    )
    op.create_table(
        "product_types",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_types")),
        sa.UniqueConstraint("code", name=op.f("uq_product_types_code")),
        sa.UniqueConstraint("name", name=op.f("uq_product_types_name")),
    )
    op.create_table(
        "price_publications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("price_book_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("adjustment_kind", sa.String(length=10), nullable=True),
        sa.Column("adjustment_percent", ExactDecimal(), nullable=True),
        sa.Column("effective_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_book_id"], ["price_books.id"], name=op.f("fk_price_publications_price_book_id_price_books")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_publications")),
    )
    with op.batch_alter_table("price_publications", schema=None) as batch_op:
        batch_op.create_index("ix_price_publications_book_from", ["price_book_id", "effective_from"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("product_type_id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("marketing_text", sa.Text(), nullable=False),
        sa.Column("exclusion_set_id", sa.String(length=36), nullable=True),
        sa.Column("deactivated_on", sa.Date(), nullable=True),
        sa.Column("deactivation_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exclusion_set_id"], ["exclusion_sets.id"], name=op.f("fk_products_exclusion_set_id_exclusion_sets")
        ),
        sa.ForeignKeyConstraint(
            ["product_type_id"], ["product_types.id"], name=op.f("fk_products_product_type_id_product_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_exclusion_set_id"), ["exclusion_set_id"], unique=False)

    op.create_table(
        "usage_skus",
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("product_type_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("aggregation", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "aggregation IN ('sum', 'max', 'last', 'average')", name=op.f("ck_usage_skus_aggregation_known")
        ),
        sa.ForeignKeyConstraint(
            ["product_type_id"], ["product_types.id"], name=op.f("fk_usage_skus_product_type_id_product_types")
        ),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_usage_skus")),
    )
    with op.batch_alter_table("usage_skus", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_skus_product_type_id"), ["product_type_id"], unique=False)

    op.create_table(
        "commitments",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_commitments_product_id_products")),
        sa.PrimaryKeyConstraint("product_id", "currency", "effective_from", name=op.f("pk_commitments")),
    )
    op.create_table(
        "price_entries",
        sa.Column("price_book_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("unit_price", ExactDecimal(), nullable=False),
        sa.Column("publication_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_book_id"], ["price_books.id"], name=op.f("fk_price_entries_price_book_id_price_books")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_price_entries_product_id_products")),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["price_publications.id"],
            name=op.f("fk_price_entries_publication_id_price_publications"),
        ),
        sa.ForeignKeyConstraint(["sku"], ["usage_skus.sku"], name=op.f("fk_price_entries_sku_usage_skus")),
        sa.PrimaryKeyConstraint(
            "price_book_id", "product_id", "sku", "currency", "effective_from", name=op.f("pk_price_entries")
        ),
    )
    with op.batch_alter_table("price_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_entries_publication_id"), ["publication_id"], unique=False)

    op.create_table(
        "product_group_members",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["product_groups.id"], name=op.f("fk_product_group_members_group_id_product_groups")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_group_members_product_id_products")
        ),
        sa.PrimaryKeyConstraint("group_id", "product_id", name=op.f("pk_product_group_members")),
    )
    op.create_table(
        "product_publications",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_publications_product_id_products")
        ),
        sa.PrimaryKeyConstraint("product_id", "effective_from", name=op.f("pk_product_publications")),
    )
    op.create_table(
        "product_versions",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=200), nullable=False),
        sa.Column("orderable_before", sa.Date(), nullable=True),
        sa.Column("restricted_countries", sa.String(length=200), nullable=True),
        sa.Column("restricted_partners_since", sa.Date(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "(restricted_countries IS NULL) = (restricted_partners_since IS NULL)",
            name=op.f("ck_product_versions_restriction_complete"),
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_product_versions_product_id_products")),
        sa.PrimaryKeyConstraint("product_id", "effective_from", name=op.f("pk_product_versions")),
    )


def downgrade() -> None:
    op.drop_table("product_versions")
    op.drop_table("product_publications")
    op.drop_table("product_group_members")
    with op.batch_alter_table("price_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_entries_publication_id"))

    op.drop_table("price_entries")
    op.drop_table("commitments")
    with op.batch_alter_table("usage_skus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_skus_product_type_id"))

    op.drop_table("usage_skus")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_exclusion_set_id"))

    op.drop_table("products")
    with op.batch_alter_table("price_publications", schema=None) as batch_op:
        batch_op.drop_index("ix_price_publications_book_from")

    op.drop_table("price_publications")
    op.drop_table("product_types")
    op.drop_table("product_groups")
    with op.batch_alter_table("price_books", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_books_reseller_id"))

    op.drop_table("price_books")
    op.drop_table("fx_rates")
    op.drop_table("exclusion_sets")
    op.drop_table("catalog_changes")
