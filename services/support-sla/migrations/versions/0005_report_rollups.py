"""The Tier 1 reports read rollups kept in the transaction that changes a ticket (docs/decisions/0020): per reseller,
country and UTC month of opening, and per reseller over all its months (A); per country and UTC month of opening (B);
per UTC day of opening, the open cases (C); per UTC day and duration bucket, the time to first reply (D, by day of
opening) and the resolution time (E, by severity and day of resolution).

The rollups are backfilled from the tickets already there, as the service keeps them (`adapters/report_rollups.py`):
in SQL on PostgreSQL, in Python on SQLite. The duration buckets' lower bounds are frozen here: 0 to 3 seconds, then
four per doubling (`domain/report_cells.py`, DURATION_BOUNDS, which a test compares with this copy).

The tickets' report indexes change with them: `ix_tickets_opened_at` covers every report column (a period's edges
are read from it), `ix_tickets_resolved_at` replaces the severity-first index (edges and cells of report E),
`ix_tickets_country_opened_at`, which only the direct query of report B read, goes (a country-month is summed from
its reseller-month rows), and on SQLite the two indexes split by `resolved_at IS NULL` become partial, as they are
on PostgreSQL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-14 09:00:00
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

from bss.exact_numeric import ExactDecimal
from bss.utc_datetime import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECONDS = sa.ARRAY(sa.Integer()).with_variant(sa.JSON(), "sqlite")
REPORT_COLUMNS = [
    "reseller_id",
    "country",
    "first_response_seconds",
    "first_response_met",
    "resolution_seconds",
    "resolution_met",
]


def duration_bounds() -> list[int]:
    bounds = [0, 1, 2, 3]
    exponent = 2
    while 2**exponent < 2**31:
        step = 2 ** (exponent - 2)
        bounds.extend(2**exponent + quarter * step for quarter in range(4))
        exponent += 1
    return bounds


def upgrade() -> None:
    _create_tables()
    # indexes only, so no batch mode (SQLite creates and drops indexes in place)
    op.drop_index("ix_tickets_country_opened_at", table_name="tickets")
    op.drop_index("ix_tickets_severity_resolved_at", table_name="tickets")
    op.drop_index("ix_tickets_opened_at", table_name="tickets")
    op.create_index("ix_tickets_opened_at", "tickets", ["opened_at"], postgresql_include=REPORT_COLUMNS)
    op.create_index(
        "ix_tickets_resolved_at",
        "tickets",
        ["resolved_at"],
        postgresql_include=["severity", "resolution_seconds", "resolution_met"],
        postgresql_where=sa.text("resolved_at IS NOT NULL"),
        sqlite_where=sa.text("resolved_at IS NOT NULL"),
    )
    if op.get_bind().dialect.name == "sqlite":  # partial there too, as on PostgreSQL since 0002
        op.drop_index("ix_tickets_open_opened_at", table_name="tickets")
        op.create_index(
            "ix_tickets_open_opened_at", "tickets", ["opened_at"], sqlite_where=sa.text("resolved_at IS NULL")
        )
    if op.get_bind().dialect.name == "postgresql":
        _backfill_in_sql()
    else:
        _backfill_in_python()


def _durations(*key: sa.Column[Any]) -> list[sa.Column[Any]]:
    return [
        *key,
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("seconds_sum", sa.BigInteger(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("seconds", SECONDS, nullable=False),
    ]


ROLLUPS = (
    "report_reseller_months",
    "report_resellers",
    "report_country_months",
    "report_open_days",
    "report_first_response_buckets",
    "report_resolution_buckets",
)


def _resolutions(name: str, *key: sa.Column[Any]) -> None:
    op.create_table(
        name,
        *key,
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("resolution_seconds_sum", sa.BigInteger(), nullable=False),
        sa.Column("resolution_met", sa.Integer(), nullable=False),
        sa.Column("resolution_seconds", SECONDS, nullable=False),
        sa.PrimaryKeyConstraint(*(column.name for column in key), name=op.f(f"pk_{name}")),
    )


def _create_tables() -> None:
    _resolutions(
        "report_reseller_months",
        sa.Column("reseller_id", sa.String(length=36), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
    )
    op.create_index("ix_report_reseller_months_country_month", "report_reseller_months", ["country", "month"])
    _resolutions("report_resellers", sa.Column("reseller_id", sa.String(length=36), nullable=False))
    _resolutions(
        "report_country_months",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
    )
    op.create_table(
        "report_open_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open_cases", sa.Integer(), nullable=False),
        sa.Column("opened_epoch_sum", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_report_open_days")),
    )
    op.create_table(
        "report_first_response_buckets",
        *_durations(sa.Column("day", sa.Date(), nullable=False), sa.Column("bucket", sa.Integer(), nullable=False)),
        sa.PrimaryKeyConstraint("day", "bucket", name=op.f("pk_report_first_response_buckets")),
    )
    op.create_table(
        "report_resolution_buckets",
        *_durations(
            sa.Column("severity", sa.String(length=1), nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("bucket", sa.Integer(), nullable=False),
        ),
        sa.PrimaryKeyConstraint("severity", "day", "bucket", name=op.f("pk_report_resolution_buckets")),
    )


def _backfill_in_sql() -> None:
    bounds = "'{" + ",".join(str(bound) for bound in duration_bounds()) + "}'::integer[]"

    def bucket(column: str) -> str:
        return f"CASE WHEN {column} IS NULL THEN -1 ELSE greatest(width_bucket({column}, {bounds}) - 1, 0) END"

    def durations(column: str, met: str) -> str:
        return (
            f"count(*), coalesce(sum({column}), 0), count(*) FILTER (WHERE {met}), "
            f"coalesce(array_agg({column} ORDER BY {column}) FILTER (WHERE {column} IS NOT NULL), '{{}}')"
        )

    resolutions = (
        "count(*), count(resolution_seconds), coalesce(sum(resolution_seconds), 0), "
        "count(*) FILTER (WHERE resolution_met), coalesce(array_agg(resolution_seconds ORDER BY resolution_seconds) "
        "FILTER (WHERE resolution_seconds IS NOT NULL), '{}')"
    )
    month = "date_trunc('month', opened_at AT TIME ZONE 'UTC')::date"
    sums = "cases, resolved, resolution_seconds_sum, resolution_met, resolution_seconds"
    op.execute(
        f"INSERT INTO report_reseller_months (reseller_id, country, month, {sums}) "
        f"SELECT reseller_id, country, {month}, {resolutions} FROM tickets GROUP BY 1, 2, 3"
    )
    op.execute(
        f"INSERT INTO report_resellers (reseller_id, {sums}) SELECT reseller_id, {resolutions} FROM tickets GROUP BY 1"
    )
    op.execute(
        f"INSERT INTO report_country_months (country, month, {sums}) "
        f"SELECT country, {month}, {resolutions} FROM tickets GROUP BY 1, 2"
    )
    op.execute(
        "INSERT INTO report_open_days (day, open_cases, opened_epoch_sum) "
        "SELECT (opened_at AT TIME ZONE 'UTC')::date, count(*), sum(extract(epoch FROM opened_at)) "
        "FROM tickets WHERE resolved_at IS NULL GROUP BY 1"
    )
    op.execute(
        "INSERT INTO report_first_response_buckets (day, bucket, cases, seconds_sum, met, seconds) "
        f"SELECT (opened_at AT TIME ZONE 'UTC')::date, {bucket('first_response_seconds')}, "
        f"{durations('first_response_seconds', 'first_response_met')} FROM tickets GROUP BY 1, 2"
    )
    op.execute(
        "INSERT INTO report_resolution_buckets (severity, day, bucket, cases, seconds_sum, met, seconds) "
        f"SELECT severity, (resolved_at AT TIME ZONE 'UTC')::date, {bucket('resolution_seconds')}, "
        f"{durations('resolution_seconds', 'resolution_met')} FROM tickets WHERE resolved_at IS NOT NULL "
        "GROUP BY 1, 2, 3"
    )


TICKETS = sa.table(
    "tickets",
    sa.column("reseller_id", sa.String()),
    sa.column("country", sa.String()),
    sa.column("severity", sa.String()),
    sa.column("opened_at", UtcDateTime()),
    sa.column("resolved_at", UtcDateTime()),
    sa.column("first_response_seconds", sa.Integer()),
    sa.column("first_response_met", sa.Boolean()),
    sa.column("resolution_seconds", sa.Integer()),
    sa.column("resolution_met", sa.Boolean()),
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Sums:
    """A cell's cases, durations and targets met."""

    def __init__(self) -> None:
        self.cases = 0
        self.seconds: list[int] = []
        self.met = 0

    def add(self, seconds: int | None, met: bool | None) -> None:
        self.cases += 1
        if seconds is not None:
            self.seconds.append(seconds)
        self.met += met is True

    def row(self) -> dict[str, Any]:
        return {"cases": self.cases, "seconds_sum": sum(self.seconds), "met": self.met, "seconds": sorted(self.seconds)}


MONTH_KEY = ("reseller_id", "country", "month")


def _resolution_row(key: dict[str, Any], sums: _Sums) -> dict[str, Any]:
    row = sums.row()
    return key | {
        "cases": row["cases"],
        "resolved": len(row["seconds"]),
        "resolution_seconds_sum": row["seconds_sum"],
        "resolution_met": row["met"],
        "resolution_seconds": row["seconds"],
    }


def _bucket(seconds: int | None, bounds: list[int]) -> int:
    if seconds is None:
        return -1
    return max(0, bisect_right(bounds, seconds) - 1)


def _epoch(instant: datetime) -> Decimal:
    delta = instant - EPOCH
    return Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


def _backfill_in_python() -> None:
    bounds = duration_bounds()
    months: dict[tuple[str, str, date], _Sums] = defaultdict(_Sums)
    resellers: dict[str, _Sums] = defaultdict(_Sums)
    country_months: dict[tuple[str, date], _Sums] = defaultdict(_Sums)
    open_days: dict[date, list[Decimal]] = defaultdict(list)
    responses: dict[tuple[date, int], _Sums] = defaultdict(_Sums)
    resolutions: dict[tuple[str, date, int], _Sums] = defaultdict(_Sums)
    for t in op.get_bind().execute(sa.select(TICKETS)):
        opened_day = t.opened_at.astimezone(UTC).date()
        month = opened_day.replace(day=1)
        for sums in (
            months[(t.reseller_id, t.country, month)],
            resellers[t.reseller_id],
            country_months[(t.country, month)],
        ):
            sums.add(t.resolution_seconds, t.resolution_met)
        if t.resolved_at is None:
            open_days[opened_day].append(_epoch(t.opened_at))
        bucket = _bucket(t.first_response_seconds, bounds)
        responses[(opened_day, bucket)].add(t.first_response_seconds, t.first_response_met)
        if t.resolved_at is not None:
            key = (t.severity, t.resolved_at.astimezone(UTC).date(), _bucket(t.resolution_seconds, bounds))
            resolutions[key].add(t.resolution_seconds, t.resolution_met)
    _insert(
        "report_reseller_months", [_resolution_row(dict(zip(MONTH_KEY, k, strict=True)), s) for k, s in months.items()]
    )
    _insert("report_resellers", [_resolution_row({"reseller_id": k}, s) for k, s in resellers.items()])
    rows = [_resolution_row({"country": c, "month": m}, s) for (c, m), s in country_months.items()]
    _insert("report_country_months", rows)
    open_rows = [{"day": d, "open_cases": len(e), "opened_epoch_sum": sum(e, Decimal(0))} for d, e in open_days.items()]
    _insert("report_open_days", open_rows)
    _insert("report_first_response_buckets", [{"day": d, "bucket": b} | s.row() for (d, b), s in responses.items()])
    _insert(
        "report_resolution_buckets",
        [{"severity": v, "day": d, "bucket": b} | s.row() for (v, d, b), s in resolutions.items()],
    )


_TYPES: dict[str, Any] = {
    "month": sa.Date(),
    "day": sa.Date(),
    "opened_epoch_sum": ExactDecimal(),
    "seconds": sa.JSON(),
    "resolution_seconds": sa.JSON(),
}


def _insert(name: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = [sa.column(column, _TYPES.get(column)) for column in rows[0]]
        op.bulk_insert(sa.table(name, *columns), rows)


def downgrade() -> None:
    op.drop_index("ix_tickets_resolved_at", table_name="tickets", postgresql_where=sa.text("resolved_at IS NOT NULL"))
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_tickets_open_opened_at", table_name="tickets")
        op.create_index("ix_tickets_open_opened_at", "tickets", ["opened_at"])
    op.drop_index("ix_tickets_opened_at", table_name="tickets")
    responses, resolutions = ["first_response_seconds", "first_response_met"], ["resolution_seconds", "resolution_met"]
    op.create_index("ix_tickets_opened_at", "tickets", ["opened_at"], postgresql_include=responses)
    op.create_index(
        "ix_tickets_severity_resolved_at", "tickets", ["severity", "resolved_at"], postgresql_include=resolutions
    )
    op.create_index("ix_tickets_country_opened_at", "tickets", ["country", "opened_at"], postgresql_include=resolutions)
    for table in ROLLUPS[::-1]:
        op.drop_table(table)
