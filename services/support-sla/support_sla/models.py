"""The support-sla service's tables. Only this service reads or writes them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bss.db import new_metadata
from bss.effective_settings import define_table
from bss.exact_numeric import ExactDecimal
from bss.messaging.tables import MessagingTables
from bss.utc_datetime import UtcDateTime


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = MessagingTables.define(Base.metadata)
setting_versions = define_table(Base.metadata)
"""Support's settings as effective-dated data: SLA calendars, their assignment to resellers, the SLA targets
(`adapters/sla_settings.py`)."""

ID = String(36)
PLACEHOLDER_COUNTRY = "ZZ"  # a subscription seen before its reseller: replaced by ResellerRegistered


class Reseller(Base):
    """Read model of `ResellerRegistered` (and the contract subscription), plus the reseller's certification."""

    __tablename__ = "resellers"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    signed_on: Mapped[date] = mapped_column(Date)
    subscription_id: Mapped[str | None] = mapped_column(ID)
    certified: Mapped[bool] = mapped_column(Boolean, default=False)
    certified_engineers: Mapped[int] = mapped_column(Integer, default=0)
    certified_until: Mapped[date | None] = mapped_column(Date)


class CertifiedEmployee(Base):
    __tablename__ = "certified_employees"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    reseller_id: Mapped[str] = mapped_column(ForeignKey("resellers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    certified_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Ticket(Base):
    """A support ticket; the SLA columns at the end are denormalized for the Tier 1 reports."""

    __tablename__ = "tickets"
    # The Tier 1 reports read the rollups below; these indexes serve the rollups' upkeep (a cell's tickets) and
    # the ends of a period that no whole cell covers, each an index-only scan on PostgreSQL.
    __table_args__ = (
        Index(
            "ix_tickets_opened_at",
            "opened_at",
            postgresql_include=[
                "reseller_id",
                "country",
                "first_response_seconds",
                "first_response_met",
                "resolution_seconds",
                "resolution_met",
            ],
        ),
        Index(
            "ix_tickets_reseller_id_opened_at",
            "reseller_id",
            "opened_at",
            postgresql_include=["resolution_seconds", "resolution_met"],
        ),
        Index(
            "ix_tickets_resolved_at",
            "resolved_at",
            postgresql_include=["severity", "resolution_seconds", "resolution_met"],
            postgresql_where=text("resolved_at IS NOT NULL"),
            sqlite_where=text("resolved_at IS NOT NULL"),
        ),
        # partial on SQLite too: else its planner reads every open ticket through the index above (resolved_at=NULL)
        Index(
            "ix_tickets_open_opened_at",
            "opened_at",
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
        # An imported ticket once per id in its source system; tickets opened here have neither (NULLs never clash).
        Index("ix_tickets_source_source_id", "source", "source_id", unique=True),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    reseller_id: Mapped[str] = mapped_column(ID)
    country: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    product: Mapped[str] = mapped_column(String(200))
    build_number: Mapped[str | None] = mapped_column(String(50))
    unsupported_version: Mapped[bool] = mapped_column(Boolean, default=False)
    opening_severity: Mapped[str] = mapped_column(String(1))
    severity: Mapped[str] = mapped_column(String(1))
    state: Mapped[str] = mapped_column(String(40))
    policy_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    escalation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paused_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    temporary_solution_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    confirmed_defect: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    first_response_met: Mapped[bool | None] = mapped_column(Boolean)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_met: Mapped[bool | None] = mapped_column(Boolean)
    # Imported tickets (`usecases/ticket_import.py`): the system and id they came from, and the SHA-256 of the
    # content imported, which tells a re-import of the same ticket (unchanged) from a different one (conflict).
    source: Mapped[str | None] = mapped_column(String(60))
    source_id: Mapped[str | None] = mapped_column(String(200))
    source_fingerprint: Mapped[str | None] = mapped_column(String(64))


class TicketEvent(Base):
    """The ticket's history: replies, internal notes, severity changes, pauses, state changes."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_id_at", "ticket_id", "at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str | None] = mapped_column(Text)
    from_severity: Mapped[str | None] = mapped_column(String(1))
    to_severity: Mapped[str | None] = mapped_column(String(1))
    state: Mapped[str | None] = mapped_column(String(40))


Seconds = ARRAY(Integer).with_variant(JSON(), "sqlite")
"""Durations in seconds, ascending: an integer array on PostgreSQL, a JSON list on SQLite."""


class _ResolutionSums:
    """Cases opened, their resolution times (paused time excluded, ascending) and how many met the
    permanent-resolution target: what reports A and B read of a rollup row."""

    cases: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    resolution_seconds_sum: Mapped[int] = mapped_column(BigInteger)
    resolution_met: Mapped[int] = mapped_column(Integer)
    resolution_seconds: Mapped[list[int]] = mapped_column(Seconds)


class ReportResellerMonth(_ResolutionSums, Base):
    """Report A summed per reseller, country and UTC month of opening (`adapters/report_rollups.py` keeps the
    rollups in the transaction that changes a ticket; docs/decisions/0020)."""

    __tablename__ = "report_reseller_months"
    __table_args__ = (Index("ix_report_reseller_months_country_month", "country", "month"),)  # a country-month's rows

    reseller_id: Mapped[str] = mapped_column(ID, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class ReportReseller(_ResolutionSums, Base):
    """Report A over every ticket of a reseller (its months together), for a period that holds them all."""

    __tablename__ = "report_resellers"

    reseller_id: Mapped[str] = mapped_column(ID, primary_key=True)


class ReportCountryMonth(_ResolutionSums, Base):
    """Report B summed per region (the ticket's country) and UTC month of opening, from its reseller-month rows."""

    __tablename__ = "report_country_months"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class ReportOpenDay(Base):
    """Report C summed per UTC day of opening: the cases still open, and the sum of their opening instants in
    seconds since 1970 (exact, to the microsecond), from which the mean age follows."""

    __tablename__ = "report_open_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open_cases: Mapped[int] = mapped_column(Integer)
    opened_epoch_sum: Mapped[Decimal] = mapped_column(ExactDecimal)


class ReportFirstResponseBucket(Base):
    """Report D summed per UTC day of opening and bucket of the time to first reply (`domain/report_cells.py`;
    bucket -1: not answered yet): cases, replies, their times and how many met the first-response target."""

    __tablename__ = "report_first_response_buckets"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)
    seconds_sum: Mapped[int] = mapped_column(BigInteger)
    met: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[list[int]] = mapped_column(Seconds)


class ReportResolutionBucket(Base):
    """Report E summed per severity (fixed once resolved), UTC day of resolution and bucket of the resolution
    time: cases, their times and how many met the permanent-resolution target."""

    __tablename__ = "report_resolution_buckets"

    severity: Mapped[str] = mapped_column(String(1), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)
    seconds_sum: Mapped[int] = mapped_column(BigInteger)
    met: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[list[int]] = mapped_column(Seconds)


class SlaTarget(Base):
    """Each target's current due time, for the breach scheduler (recomputed on every ticket change)."""

    __tablename__ = "sla_targets"
    __table_args__ = (
        Index("ix_sla_targets_pending_breach_at", "breach_at", postgresql_where=text("NOT breached")),
        Index("ix_sla_targets_pending_warning_at", "warning_at", postgresql_where=text("NOT warned")),
    )

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    target: Mapped[str] = mapped_column(String(30), primary_key=True)
    severity: Mapped[str] = mapped_column(String(1))
    state: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    warning_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    breach_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    breach_severity: Mapped[str | None] = mapped_column(String(1))
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)


class SlaAlert(Base):
    """A warning or breach raised once per (ticket, target, kind): the unique constraint makes it once."""

    __tablename__ = "sla_alerts"
    __table_args__ = (UniqueConstraint("ticket_id", "target", "kind"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    target: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(1))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_reseller_id_contract_year", "reseller_id", "contract_year"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    reseller_id: Mapped[str] = mapped_column(ID)
    summary: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    contract_year: Mapped[int] = mapped_column(Integer)
    counted: Mapped[bool] = mapped_column(Boolean)
    billable: Mapped[bool] = mapped_column(Boolean)
    unknown_bug: Mapped[bool] = mapped_column(Boolean, default=False)
    product_defect: Mapped[bool] = mapped_column(Boolean, default=False)


class SupportCharge(Base):
    """A ticket fee or paid incident; `dedupe_key` makes each charge once. Published once the subscription
    is known (the contract subscription may arrive after the ticket)."""

    __tablename__ = "support_charges"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(100), unique=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    reseller_id: Mapped[str] = mapped_column(ID, index=True)
    incident_id: Mapped[str | None] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal)
    currency: Mapped[str] = mapped_column(String(3))
    charged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)


class TierOneProgram(Base):
    __tablename__ = "tier_one_programs"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    accounts: Mapped[int] = mapped_column(Integer)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TierOneEngineer(Base):
    __tablename__ = "tier_one_engineers"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("tier_one_programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    languages: Mapped[list[str]] = mapped_column(JSON)


class TierOneStep(Base):
    __tablename__ = "tier_one_steps"

    program_id: Mapped[str] = mapped_column(ForeignKey("tier_one_programs.id"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    completed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
