"""The subscriptions service's tables. Only this service reads or writes them.

Rules that must never break live in the database: a reseller holds at most one live (trial, active or
suspended) subscription per exclusion set (a partial unique index, so two concurrent orders cannot both win),
and a tier change or status change always belongs to an existing subscription.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, get_args

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bss.db import new_metadata, sql_in_list
from bss.effective_settings import define_table
from bss.events.contracts.subscriptions import ResellerStatus
from bss.exact_numeric import ExactDecimal
from bss.messaging.tables import MessagingTables
from bss.utc_datetime import UtcDateTime
from subscriptions.domain.book_import import ImportedKind
from subscriptions.domain.lifecycle import LIVE_STATUSES, Status
from subscriptions.domain.tier_changes import Direction

ID = String(36)
LIVE = sql_in_list("status", LIVE_STATUSES)


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = MessagingTables.define(Base.metadata)
setting_versions = define_table(Base.metadata)
"""The service's settings as effective-dated data: the trial policies (`adapters/trial_policies.py`)."""


class Reseller(Base):
    """A service provider: who it is, where, how it is billed, and whether it may order."""

    __tablename__ = "resellers"
    __table_args__ = (CheckConstraint(sql_in_list("status", get_args(ResellerStatus)), name="status"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    billing_email: Mapped[str] = mapped_column(String(254))
    billing_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    country: Mapped[str] = mapped_column(String(2))
    partner_since: Mapped[date] = mapped_column(Date)
    billing_currency: Mapped[str] = mapped_column(String(3))
    contract_signed_on: Mapped[date] = mapped_column(Date)
    tax_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'active'"))
    ramp_up_cycles: Mapped[int | None] = mapped_column(Integer)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Subscription(Base):
    """A reseller's contract-tier subscription; `product_id` is the product ordered (tier changes are rows)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(sql_in_list("status", get_args(Status)), name="status"),
        CheckConstraint("ramp_up_cycles BETWEEN 0 AND 3", name="ramp_up_cycles"),
        Index(
            "uq_subscriptions_live_per_exclusion_set",
            "reseller_id",
            "exclusion_set",
            unique=True,
            sqlite_where=text(LIVE),
            postgresql_where=text(LIVE),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    reseller_id: Mapped[str] = mapped_column(ID, ForeignKey("resellers.id"), index=True)
    product_id: Mapped[str] = mapped_column(ID)
    exclusion_set: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    billing_currency: Mapped[str] = mapped_column(String(3))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    trial_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    auto_convert: Mapped[bool] = mapped_column(default=False)
    paid_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ramp_up_cycles: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    ramp_up_scope: Mapped[str | None] = mapped_column(String(20))
    ramp_up_first_period: Mapped[date | None] = mapped_column(Date)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(4000))
    billed_elsewhere_through: Mapped[date | None] = mapped_column(Date)  # imported: invoiced elsewhere up to it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ImportedRecord(Base):
    """A reseller or subscription brought in by the book import (`POST /v1/imports/book`): its source system's id,
    what it became here, and the line as last imported (a re-import compares with it)."""

    __tablename__ = "imported_records"
    __table_args__ = (CheckConstraint(sql_in_list("kind", get_args(ImportedKind)), name="kind"),)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(60), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ID, index=True)
    line: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    imported_by: Mapped[str] = mapped_column(String(200))


class StatusChangeRow(Base):
    """Each state the subscription entered, at its business instant (possibly backdated) and real time."""

    __tablename__ = "subscription_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(ID, ForeignKey("subscriptions.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TierChangeRow(Base):
    """A tier change: the tier is `to_product_id` from `effective_from` on, unless a later request replaced it."""

    __tablename__ = "tier_changes"
    __table_args__ = (CheckConstraint(sql_in_list("direction", get_args(Direction)), name="direction"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ID, ForeignKey("subscriptions.id"), index=True)
    from_product_id: Mapped[str] = mapped_column(ID)
    to_product_id: Mapped[str] = mapped_column(ID)
    direction: Mapped[str] = mapped_column(String(10))
    effective_from: Mapped[date] = mapped_column(Date)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    replaced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RampUpPolicy(Base):
    """The distributor's ramp-up for all new subscriptions (one row); a reseller's own grant takes precedence."""

    __tablename__ = "ramp_up_policy"
    __table_args__ = (CheckConstraint("cycles BETWEEN 0 AND 3", name="cycles"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cycles: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CatalogProductVersion(Base):
    """Read model: one effective-dated definition of a catalog product, from ProductPublished/ProductChanged."""

    __tablename__ = "catalog_product_versions"

    product_id: Mapped[str] = mapped_column(ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    code: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(200))
    commitments: Mapped[dict[str, str]] = mapped_column(JSON)
    upgrade_product_ids: Mapped[list[str]] = mapped_column(JSON)
    exclusion_set: Mapped[str | None] = mapped_column(String(200))
    orderable_before: Mapped[date | None] = mapped_column(Date)
    restricted_countries: Mapped[list[str]] = mapped_column(JSON)
    restricted_partners_since: Mapped[date | None] = mapped_column(Date)
    event_time: Mapped[datetime] = mapped_column(UtcDateTime())


class CatalogDeactivation(Base):
    """Read model: a product cannot be bought or moved to from `effective_from` (ProductDeactivated)."""

    __tablename__ = "catalog_deactivations"

    product_id: Mapped[str] = mapped_column(ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    event_time: Mapped[datetime] = mapped_column(UtcDateTime())


class CatalogFxRate(Base):
    """Read model: an FX rate to USD from `effective_from` (FxRatesPublished `rates`): it links USD and its currency
    for "currency is priceable" (`domain/priceable.py`)."""

    __tablename__ = "catalog_fx_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    units_per_usd: Mapped[Decimal] = mapped_column(ExactDecimal())
    event_time: Mapped[datetime] = mapped_column(UtcDateTime())


class CatalogFxPair(Base):
    """Read model: 1 `base` = `rate` `quote` from `effective_from` (FxRatesPublished `pairs`): it links the two
    currencies, either direction, for "currency is priceable" (`domain/priceable.py`)."""

    __tablename__ = "catalog_fx_pairs"

    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    event_time: Mapped[datetime] = mapped_column(UtcDateTime())
