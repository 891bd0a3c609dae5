"""The Acronis daily usage report turned into usage events (docs/domain.md, Billing: Acronis usage reports).

Acronis reports per tenant and offering item a `value` (current) and an `absolute_value` (accumulated since the
1st); storage is in bytes and is billed in binary GB (1024^3 bytes). Event ids are derived from the report's
facts (tenant, offering item, day), so importing a report again yields the same ids and changes nothing.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Literal, get_args

from bss.quantities import MAX_FRACTION_DIGITS, canonical_quantity, parse_quantity

BYTES_PER_GB = Decimal(1024) ** 3
_GB_RESOLUTION = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
_EXACT = Context(prec=80)  # bytes / 2^30 is a finite decimal; keep every digit of it
ACRONIS_NAMESPACE = uuid.UUID("6f1c2b1e-8d4a-5e7b-9c0d-acc0acc0acc0")
REPORT_COLUMNS = ("date", "tenant_id", "offering_item", "measurement_unit", "value", "absolute_value")


@dataclass(frozen=True, slots=True)
class ReportRow:
    day: date
    tenant_id: str
    offering_item: str
    unit: str
    value: Decimal
    absolute_value: Decimal
    tenant_name: str | None = None  # the optional `tenant_name` column: the customer's name in Acronis


@dataclass(frozen=True, slots=True)
class TenantMapping:
    reseller_id: str
    subscription_id: str
    customer_id: str


ValueField = Literal["value", "absolute_value"]
"""Which reported column counts for an offering item: `absolute_value` (accumulated) or `value`."""
VALUE_FIELDS: tuple[ValueField, ...] = get_args(ValueField)


@dataclass(frozen=True, slots=True)
class OfferingMapping:
    sku: str
    value_field: ValueField


@dataclass(frozen=True, slots=True)
class ImportedUsage:
    event_id: str
    data: dict[str, str]


TENANT_NAME_COLUMN = "tenant_name"
"""An optional column: the customer tenant's name, kept in billing's customer registry."""
MAX_NAME = 200


def _tenant_name(cell: str | None) -> str | None:
    """A tenant name as the registry keeps it: trimmed, printable, at most 200 characters; None when empty."""
    if cell is None:
        return None
    name = "".join(ch for ch in cell.strip() if ch.isprintable())[:MAX_NAME]
    return name or None


class ReportError(ValueError):
    """A report line that cannot be read; `line` is 1-based, counting the header."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def parse_report(text: str) -> list[ReportRow]:
    """The rows of a daily usage report CSV (columns: date, tenant_id, offering_item, measurement_unit, value,
    absolute_value); `ReportError` names the first line that cannot be read, CSV syntax included."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        missing = [c for c in REPORT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ReportError(1, f"missing columns: {', '.join(missing)}")
        return [_row(record, reader.line_num) for record in reader]
    except csv.Error as exc:  # a NUL, a stray line break in an unquoted field, a field over csv's size limit
        raise ReportError(reader.line_num + 1, f"not a readable CSV line ({exc})") from None


def _row(record: dict[str, str | None], line: int) -> ReportRow:
    cells = [record[column] for column in REPORT_COLUMNS]
    if any(cell is None for cell in cells):
        raise ReportError(line, "the line has fewer cells than the header")
    day, tenant_id, offering_item, unit, value, absolute_value = (str(cell) for cell in cells)
    try:
        return ReportRow(
            day=date.fromisoformat(day),
            tenant_id=tenant_id.strip(),
            offering_item=offering_item.strip(),
            unit=unit.strip(),
            value=parse_quantity(value.strip()),
            absolute_value=parse_quantity(absolute_value.strip()),
            tenant_name=_tenant_name(record.get(TENANT_NAME_COLUMN)),
        )
    except (ValueError, InvalidOperation) as exc:
        raise ReportError(line, str(exc)) from exc


def to_billing_unit(amount: Decimal, unit: str) -> Decimal:
    """Storage reported in bytes is billed in binary GB (1024^3 bytes), rounded half up to 12 decimals (the
    quantity rule's limit); other units pass unchanged. A GB's 12th decimal is a thousandth of a byte, so the
    rounded value still names its exact byte count (`round(gb * 1024^3)` gives the bytes back)."""
    if unit.lower() == "bytes":
        exact = _EXACT.divide(amount, BYTES_PER_GB)
        rounded = exact.quantize(_GB_RESOLUTION, rounding=ROUND_HALF_UP, context=_EXACT)
        return canonical_quantity(rounded.normalize(_EXACT))  # `1500`, not `1500.000000000000`
    return amount


def event_id_for(row: ReportRow) -> str:
    """The same tenant, offering item and day always give the same event id (re-import changes nothing)."""
    return str(uuid.uuid5(ACRONIS_NAMESPACE, f"{row.tenant_id}|{row.offering_item}|{row.day.isoformat()}"))


def usage_from_report(
    rows: list[ReportRow],
    tenants: Mapping[str, TenantMapping],
    offerings: Mapping[str, OfferingMapping],
) -> tuple[list[ImportedUsage], list[str]]:
    """UsageRecorded payloads for the mapped rows (measured at the end of the report day, UTC), and the
    reasons the unmapped ones were skipped."""
    usage: list[ImportedUsage] = []
    skipped: list[str] = []
    for row in rows:
        tenant, offering = tenants.get(row.tenant_id), offerings.get(row.offering_item)
        if tenant is None or offering is None:
            what = f"tenant {row.tenant_id}" if tenant is None else f"offering item {row.offering_item}"
            skipped.append(f"{row.day} {row.tenant_id} {row.offering_item}: no mapping for {what}")
            continue
        reported = row.absolute_value if offering.value_field == "absolute_value" else row.value
        measured_at = datetime.combine(row.day, time(23, 59, 59), tzinfo=UTC)
        usage.append(
            ImportedUsage(
                event_id=event_id_for(row),
                data={
                    "reseller_id": tenant.reseller_id,
                    "subscription_id": tenant.subscription_id,
                    "customer_id": tenant.customer_id,
                    "sku": offering.sku,
                    "quantity": format(to_billing_unit(reported, row.unit), "f"),
                    "measured_at": measured_at.isoformat(),
                    "source": "acronis-usage-report",
                },
            )
        )
    return usage, skipped
