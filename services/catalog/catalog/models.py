"""The catalog service's tables. Only this service reads or writes them.

Effective-dated values (product versions, commitments, prices, FX rates) are keyed by their start date, so
two values of the same thing can never overlap: the key carries that rule, not the code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bss.db import new_metadata, sql_in_list
from bss.events.contracts.value_types import AGGREGATIONS
from bss.exact_numeric import ExactDecimal
from bss.messaging.tables import MessagingTables
from bss.utc_datetime import UtcDateTime

_ID = String(36)
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = MessagingTables.define(Base.metadata)


class ProductType(Base):
    __tablename__ = "product_types"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    characteristics: Mapped[list[str]] = mapped_column(JSON)


class ExclusionSet(Base):
    __tablename__ = "exclusion_sets"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    product_type_id: Mapped[str] = mapped_column(ForeignKey("product_types.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    marketing_text: Mapped[str] = mapped_column(Text, default="")
    exclusion_set_id: Mapped[str | None] = mapped_column(ForeignKey("exclusion_sets.id"), index=True)
    deactivated_on: Mapped[date | None] = mapped_column(Date)
    deactivation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProductVersionRow(Base):
    """A product's dated attributes from `effective_from` until the next version."""

    __tablename__ = "product_versions"
    __table_args__ = (
        CheckConstraint(
            "(restricted_countries IS NULL) = (restricted_partners_since IS NULL)", name="restriction_complete"
        ),
    )

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(200))
    orderable_before: Mapped[date | None] = mapped_column(Date)
    restricted_countries: Mapped[str | None] = mapped_column(String(200))
    restricted_partners_since: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CommitmentRow(Base):
    __tablename__ = "commitments"

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UsageSkuRow(Base):
    __tablename__ = "usage_skus"
    __table_args__ = (CheckConstraint(sql_in_list("aggregation", AGGREGATIONS), name="aggregation_known"),)

    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    product_type_id: Mapped[str] = mapped_column(ForeignKey("product_types.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200))
    aggregation: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[date] = mapped_column(Date)


class PriceBook(Base):
    """The vendor's sell prices, or one reseller's custom price list in one currency."""

    __tablename__ = "price_books"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'vendor_sell' AND reseller_id IS NULL) OR (kind = 'reseller_custom' AND reseller_id IS NOT NULL)",
            name="kind_matches_reseller",
        ),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    reseller_id: Mapped[str | None] = mapped_column(_ID, index=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PricePublication(Base):
    """One publication of a price book: its start date and, for custom lists, how unlisted SKUs are priced."""

    __tablename__ = "price_publications"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    price_book_id: Mapped[str] = mapped_column(ForeignKey("price_books.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    adjustment_kind: Mapped[str | None] = mapped_column(String(10))
    adjustment_percent: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PriceEntryRow(Base):
    __tablename__ = "price_entries"

    price_book_id: Mapped[str] = mapped_column(ForeignKey("price_books.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("usage_skus.sku"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal())
    publication_id: Mapped[str] = mapped_column(ForeignKey("price_publications.id"), index=True)


class FxRateRow(Base):
    __tablename__ = "fx_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    units_per_usd: Mapped[Decimal] = mapped_column(ExactDecimal())
    source: Mapped[str | None] = mapped_column(String(200))
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FxPairRow(Base):
    """A pair other than units per USD: 1 `base` = `rate` `quote` from `effective_from` (a pair is quoted once per
    date, in one direction; the `fx_rates` rows are the pairs with base USD)."""

    __tablename__ = "fx_pairs"

    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    source: Mapped[str | None] = mapped_column(String(200))
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProductGroup(Base):
    __tablename__ = "product_groups"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(200))
    marketing_text: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProductGroupMember(Base):
    __tablename__ = "product_group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("product_groups.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductPublicationRow(Base):
    """The definition last published for a product from a date: what the next change is compared against."""

    __tablename__ = "product_publications"

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CatalogChange(Base):
    """The audit log of catalog changes; its highest `seq` is the catalog version (read caches key on it)."""

    __tablename__ = "catalog_changes"

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


Index("ix_price_publications_book_from", PricePublication.price_book_id, PricePublication.effective_from)
