"""The billing service's tables. Only this service reads or writes them.

Read models (catalog, subscriptions, support) are kept from events, effective-dated and keyed by their start
date. Usage has a permanent ledger (one row per event id ever seen: the dedup and the event's fate) and
aggregates per subscription, period, SKU, customer (and day, for `average` SKUs). Invoices are unique per
(subscription, period), so two concurrent closes cannot produce one twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from billing.domain.acronis_report import VALUE_FIELDS
from bss.db import new_metadata, sql_in_list
from bss.effective_settings import define_table
from bss.exact_numeric import ExactDecimal
from bss.messaging.tables import MessagingTables
from bss.utc_datetime import UtcDateTime
from bss.uuid_text import UuidText

_ID = String(36)
_EVENT_ID = String(200)


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = MessagingTables.define(Base.metadata)
setting_versions = define_table(Base.metadata)
"""Billing's settings as effective-dated data (`adapters/billing_settings.py`)."""


# --- catalog read model -----------------------------------------------------------------------------------


class ProductVersionRow(Base):
    """A product's definition from `effective_from`: name, tier, commitments ({currency: amount}) and SKUs."""

    __tablename__ = "product_versions"

    product_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(200))
    previous_name: Mapped[str | None] = mapped_column(String(200))
    previous_tier: Mapped[str | None] = mapped_column(String(200))
    commitments: Mapped[dict[str, str]] = mapped_column(JSON)  # decimal strings: exact
    usage_skus: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    deactivated_from: Mapped[date | None] = mapped_column(Date)


class PriceRow(Base):
    """A unit price of a SKU under a tier product in one currency, from `effective_from`, in one price book."""

    __tablename__ = "prices"

    price_book_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    product_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    reseller_id: Mapped[str | None] = mapped_column(_ID, index=True)  # null: the vendor sell prices
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal())


class PriceAdjustmentRow(Base):
    """A reseller custom price list's rule for SKUs without their own price, from `effective_from`."""

    __tablename__ = "price_adjustments"

    price_book_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    reseller_id: Mapped[str] = mapped_column(_ID, index=True)
    kind: Mapped[str | None] = mapped_column(String(20))
    percent: Mapped[Decimal] = mapped_column(ExactDecimal())


class FxRateRow(Base):
    """Units of a currency per USD from `effective_from`, in one rate table."""

    __tablename__ = "fx_rates"

    rate_table_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    units_per_usd: Mapped[Decimal] = mapped_column(ExactDecimal())


class FxPairRow(Base):
    """A pair other than units per USD: 1 `base` = `rate` `quote` from `effective_from`, in one rate table. The
    `fx_rates` rows are the pairs with base USD (docs/domain.md, "FX rates")."""

    __tablename__ = "fx_pairs"

    rate_table_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())


# --- subscriptions read model -----------------------------------------------------------------------------


class ResellerRow(Base):
    __tablename__ = "resellers"

    reseller_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    billing_currency: Mapped[str] = mapped_column(String(3))
    billing_email: Mapped[str] = mapped_column(String(254))
    tax_id: Mapped[str | None] = mapped_column(String(200))


class CustomerRow(Base):
    """A reseller's customer by the id its usage names: a name for people (`source`: `api` set by the reseller or an
    admin, `acronis` from an Acronis usage report's tenant name; an `api` name is never overwritten by a report)."""

    __tablename__ = "customers"

    reseller_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BillingProfileRow(Base):
    """A reseller's billing profile from `effective_from` on (`ResellerBillingProfileChanged`): the invoice of a
    period takes the one in force on the period's first day (`bss.events.contracts.subscriptions.BillingProfile`)."""

    __tablename__ = "reseller_billing_profiles"

    reseller_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SubscriptionRow(Base):
    """What billing bills: product subscribed to, when it became paid, when it ends, ramp-up, closes done."""

    __tablename__ = "subscriptions"

    subscription_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    reseller_id: Mapped[str] = mapped_column(_ID, index=True)
    product_id: Mapped[str] = mapped_column(_ID)
    status: Mapped[str] = mapped_column(String(20))
    billing_currency: Mapped[str] = mapped_column(String(3))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_billed_period: Mapped[date | None] = mapped_column(Date)
    ramp_up_cycles: Mapped[int] = mapped_column(Integer, default=0)
    # The waived periods as subscriptions' events carry them; null without a ramp-up, or from older events.
    ramp_up_first_period: Mapped[date | None] = mapped_column(Date)
    ramp_up_last_period: Mapped[date | None] = mapped_column(Date)
    closed_through: Mapped[date | None] = mapped_column(Date)  # the latest period invoiced
    billed_elsewhere_through: Mapped[date | None] = mapped_column(Date)  # imported: invoiced by another system


class TierChangeRow(Base):
    """From period `effective_from` on, the subscription is billed under `to_product_id`."""

    __tablename__ = "tier_changes"

    subscription_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    to_product_id: Mapped[str] = mapped_column(_ID)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- support read model -----------------------------------------------------------------------------------


class SupportItemRow(Base):
    """A support charge or money credit of the month it happened in (`period`), carried by the invoice of
    `billed_in`: its own month while that is open, else the next open one, where it is an adjustment."""

    __tablename__ = "support_items"

    item_id: Mapped[str] = mapped_column(_ID, primary_key=True)  # charge_id or credit_id
    subscription_id: Mapped[str] = mapped_column(_ID, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # support_charge / support_credit
    description: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(String(3))
    period: Mapped[date] = mapped_column(Date)
    ticket_id: Mapped[str] = mapped_column(_ID)
    billed_in: Mapped[date | None] = mapped_column(Date, index=True)  # None only in rows of older versions


# --- usage ------------------------------------------------------------------------------------------------


class UsageEventRow(Base):
    """Every usage event id billing ever decided on, forever: the first version counts (ADR 0009, 0022).

    A counted event's row is its key, its fingerprint and when it was counted (`reason_code` None); the rest is
    left empty, so the consumer writes as little as it can per event. A refused or dead-lettered event keeps its
    reason and what it named. Rows written before migration 0013 keep every column they had.
    """

    __tablename__ = "usage_events"

    event_key: Mapped[str] = mapped_column(UuidText(), primary_key=True)  # `usage_wire.event_key(event_id)`
    fingerprint: Mapped[int] = mapped_column(BigInteger)  # `usage_wire.fingerprint_of`
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())  # when it was decided
    event_id: Mapped[str | None] = mapped_column(_EVENT_ID)  # the id as sent, kept when it is not its own key
    reason_code: Mapped[str | None] = mapped_column(String(40))  # None: counted; `fate_of` gives the fate
    detail: Mapped[str | None] = mapped_column(Text)
    subscription_id: Mapped[str | None] = mapped_column(UuidText())
    sku: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str | None] = mapped_column(UuidText())
    quantity: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    measured_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    conflicts: Mapped[int | None] = mapped_column(Integer)  # later versions with another payload (None: none)


class UsageAggregateRow(Base):
    """One customer's usage of one SKU in one period (per day for `average`), billed on `billed_in`'s invoice.

    `billed_in` equals `period` for usage that arrived before the period was invoiced; late usage gets the
    next open period, where it becomes an adjustment carrying its original `period`.

    Its ids, like the ledger's, are native `uuid` on PostgreSQL (migration 0006), where billing's other ids are
    `varchar(36)`: a SQL join between the two needs a cast.
    """

    __tablename__ = "usage_aggregates"
    # The primary key leads with (subscription_id, billed_in): it serves the invoice's and the views' reads.

    subscription_id: Mapped[str] = mapped_column(UuidText(), primary_key=True)
    billed_in: Mapped[date] = mapped_column(Date, primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    customer_id: Mapped[str] = mapped_column(UuidText(), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the period's 1st unless `average`
    reseller_id: Mapped[str] = mapped_column(UuidText())  # usage keys: native uuid on PostgreSQL (migration 0006)
    total: Mapped[Decimal] = mapped_column(ExactDecimal())
    peak: Mapped[Decimal] = mapped_column(ExactDecimal())
    last_value: Mapped[Decimal] = mapped_column(ExactDecimal())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    readings: Mapped[int] = mapped_column(Integer)


# --- invoices ---------------------------------------------------------------------------------------------


class InvoiceRow(Base):
    """One invoice per subscription and period; `document` holds the lines and totals as issued."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period"),
        UniqueConstraint("number"),
        CheckConstraint("status IN ('draft', 'issued', 'paid', 'void')", name="status_known"),
    )

    invoice_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(_ID)
    reseller_id: Mapped[str] = mapped_column(_ID, index=True)
    period: Mapped[date] = mapped_column(Date)
    invoice_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    number: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(ExactDecimal())
    credited: Mapped[Decimal] = mapped_column(ExactDecimal())
    revenue: Mapped[Decimal] = mapped_column(ExactDecimal())
    cost: Mapped[Decimal] = mapped_column(ExactDecimal())
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class NumberSequenceRow(Base):
    """Gapless per-year numbering: the counter row is updated in the transaction that uses a number."""

    __tablename__ = "number_sequences"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # 'INV' or 'CN'
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class CreditNoteRow(Base):
    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("number"),)

    credit_note_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(_ID, index=True)
    number: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(ExactDecimal())
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- Acronis usage import mapping -------------------------------------------------------------------------


class AcronisTenantMapRow(Base):
    """An Acronis customer tenant: the reseller's customer, and the subscription its usage is billed under."""

    __tablename__ = "acronis_tenant_map"

    acronis_tenant_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    reseller_id: Mapped[str] = mapped_column(_ID)
    subscription_id: Mapped[str] = mapped_column(_ID)
    customer_id: Mapped[str] = mapped_column(_ID)


class AcronisOfferingMapRow(Base):
    """An Acronis offering item: the SKU it is billed as, and which reported field counts."""

    __tablename__ = "acronis_offering_map"
    __table_args__ = (CheckConstraint(sql_in_list("value_field", VALUE_FIELDS), name="value_field_known"),)

    offering_item: Mapped[str] = mapped_column(String(200), primary_key=True)
    sku: Mapped[str] = mapped_column(String(100))
    value_field: Mapped[str] = mapped_column(String(20))
