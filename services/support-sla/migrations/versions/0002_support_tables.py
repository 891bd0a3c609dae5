"""Support: resellers read model, certification, tickets and their history, SLA targets and alerts,
incidents, support charges, Tier 1 program.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:15:00.780519
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
        "resellers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=True),
        sa.Column("certified", sa.Boolean(), nullable=False),
        sa.Column("certified_engineers", sa.Integer(), nullable=False),
        sa.Column("certified_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resellers")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("build_number", sa.String(length=50), nullable=True),
        sa.Column("unsupported_version", sa.Boolean(), nullable=False),
        sa.Column("opening_severity", sa.String(length=1), nullable=False),
        sa.Column("severity", sa.String(length=1), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("policy_snapshot", sa.JSON(), nullable=False),
        sa.Column("escalation", sa.JSON(), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("paused_since", UtcDateTime(), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("first_response_at", UtcDateTime(), nullable=True),
        sa.Column("temporary_solution_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("confirmed_defect", sa.Boolean(), nullable=False),
        sa.Column("first_response_seconds", sa.Integer(), nullable=True),
        sa.Column("first_response_met", sa.Boolean(), nullable=True),
        sa.Column("resolution_seconds", sa.Integer(), nullable=True),
        sa.Column("resolution_met", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_country_opened_at",
            ["country", "opened_at"],
            unique=False,
            postgresql_include=["resolution_seconds", "resolution_met"],
        )
        batch_op.create_index(
            "ix_tickets_open_opened_at", ["opened_at"], unique=False, postgresql_where=sa.text("resolved_at IS NULL")
        )
        batch_op.create_index(
            "ix_tickets_opened_at",
            ["opened_at"],
            unique=False,
            postgresql_include=["first_response_seconds", "first_response_met"],
        )
        batch_op.create_index(
            "ix_tickets_reseller_id_opened_at",
            ["reseller_id", "opened_at"],
            unique=False,
            postgresql_include=["resolution_seconds", "resolution_met"],
        )
        batch_op.create_index(
            "ix_tickets_severity_resolved_at",
            ["severity", "resolved_at"],
            unique=False,
            postgresql_include=["resolution_seconds", "resolution_met"],
        )

    op.create_table(
        "tier_one_programs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("activated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_one_programs")),
    )
    op.create_table(
        "certified_employees",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["resellers.id"], name=op.f("fk_certified_employees_reseller_id_resellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certified_employees")),
    )
    with op.batch_alter_table("certified_employees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certified_employees_reseller_id"), ["reseller_id"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("reported_at", UtcDateTime(), nullable=False),
        sa.Column("contract_year", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("unknown_bug", sa.Boolean(), nullable=False),
        sa.Column("product_defect", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_incidents_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_reseller_id_contract_year", ["reseller_id", "contract_year"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "sla_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("target", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=1), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_sla_alerts_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_alerts")),
        sa.UniqueConstraint("ticket_id", "target", "kind", name=op.f("uq_sla_alerts_ticket_id_target_kind")),
    )
    op.create_table(
        "sla_targets",
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("target", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=1), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("warning_at", UtcDateTime(), nullable=True),
        sa.Column("breach_at", UtcDateTime(), nullable=True),
        sa.Column("breach_severity", sa.String(length=1), nullable=True),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_sla_targets_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("ticket_id", "target", name=op.f("pk_sla_targets")),
    )
    with op.batch_alter_table("sla_targets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_targets_pending_breach_at", ["breach_at"], unique=False, postgresql_where=sa.text("NOT breached")
        )
        batch_op.create_index(
            "ix_sla_targets_pending_warning_at", ["warning_at"], unique=False, postgresql_where=sa.text("NOT warned")
        )

    op.create_table(
        "support_charges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("charged_at", UtcDateTime(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_support_charges_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_charges")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_support_charges_dedupe_key")),
    )
    with op.batch_alter_table("support_charges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_charges_reseller_id"), ["reseller_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_charges_ticket_id"), ["ticket_id"], unique=False)

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("from_severity", sa.String(length=1), nullable=True),
        sa.Column("to_severity", sa.String(length=1), nullable=True),
        sa.Column("state", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_events_ticket_id_at", ["ticket_id", "at"], unique=False)

    op.create_table(
        "tier_one_engineers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["tier_one_programs.id"], name=op.f("fk_tier_one_engineers_program_id_tier_one_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_one_engineers")),
    )
    with op.batch_alter_table("tier_one_engineers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tier_one_engineers_program_id"), ["program_id"], unique=False)

    op.create_table(
        "tier_one_steps",
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["tier_one_programs.id"], name=op.f("fk_tier_one_steps_program_id_tier_one_programs")
        ),
        sa.PrimaryKeyConstraint("program_id", "step", name=op.f("pk_tier_one_steps")),
    )


def downgrade() -> None:
    op.drop_table("tier_one_steps")
    with op.batch_alter_table("tier_one_engineers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tier_one_engineers_program_id"))

    op.drop_table("tier_one_engineers")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_ticket_id_at")

    op.drop_table("ticket_events")
    with op.batch_alter_table("support_charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_charges_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_support_charges_reseller_id"))

    op.drop_table("support_charges")
    with op.batch_alter_table("sla_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_targets_pending_warning_at", postgresql_where=sa.text("NOT warned"))
        batch_op.drop_index("ix_sla_targets_pending_breach_at", postgresql_where=sa.text("NOT breached"))

    op.drop_table("sla_targets")
    op.drop_table("sla_alerts")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_ticket_id"))
        batch_op.drop_index("ix_incidents_reseller_id_contract_year")

    op.drop_table("incidents")
    with op.batch_alter_table("certified_employees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certified_employees_reseller_id"))

    op.drop_table("certified_employees")
    op.drop_table("tier_one_programs")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_severity_resolved_at")
        batch_op.drop_index("ix_tickets_reseller_id_opened_at")
        batch_op.drop_index("ix_tickets_opened_at")
        batch_op.drop_index("ix_tickets_open_opened_at", postgresql_where=sa.text("resolved_at IS NULL"))
        batch_op.drop_index("ix_tickets_country_opened_at")

    op.drop_table("tickets")
    op.drop_table("resellers")
