"""The Acronis daily usage report: bytes to binary GB, deterministic ids, the mapped field."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.acronis_report import (
    OfferingMapping,
    ReportError,
    TenantMapping,
    parse_report,
    to_billing_unit,
    usage_from_report,
)
from bss.quantities import quantity_refusal

SAMPLE = Path(__file__).resolve().parents[3] / "services/billing/billing/samples/acronis_usage_report.csv"
TENANT = "7c2e5a10-1111-4a7b-9a1e-000000000001"
TENANTS = {TENANT: TenantMapping("r", "s", TENANT)}
OFFERINGS = {
    "pw_base_storage": OfferingMapping("SKU-BACKUP-STORAGE-GB", "absolute_value"),
    "pw_workstations": OfferingMapping("SKU-WORKSTATION", "value"),
}


def test_storage_bytes_become_binary_gigabytes_rounded_to_the_quantity_rules_twelve_decimals() -> None:
    assert to_billing_unit(Decimal(1024**3), "bytes") == 1
    assert to_billing_unit(Decimal(1), "bytes") == Decimal("0.000000000931")  # 2^-30 = 0.000000000931322...
    assert to_billing_unit(Decimal("1536000000000000"), "bytes") == Decimal("1430511.474609375")
    assert to_billing_unit(Decimal(12), "quantity") == 12


@given(st.integers(min_value=0, max_value=10**18 - 1))
def test_binary_gigabytes_still_name_their_exact_byte_count(count: int) -> None:
    gigabytes = to_billing_unit(Decimal(count), "bytes")
    assert quantity_refusal(gigabytes) is None
    assert (gigabytes * Decimal(1024**3)).to_integral_value(rounding=ROUND_HALF_UP) == count


@pytest.mark.parametrize(
    ("value", "reason"),
    [("1e2000000", "out of range"), ("1" * 19, "out of range"), ("0.0000000000001", "out of range"),
     ("-5", "negative"), ("NaN", "not a finite number"), ("1" * 65, "characters long")],
)  # fmt: skip
def test_report_values_obey_the_quantity_rule(value: str, reason: str) -> None:
    report = (
        f"date,tenant_id,offering_item,measurement_unit,value,absolute_value\n2024-01-02,{TENANT},x,bytes,{value},1\n"
    )
    with pytest.raises(ReportError, match=reason) as refused:
        parse_report(report)
    assert refused.value.line == 2


def test_reimporting_a_report_gives_the_same_event_ids() -> None:
    rows = parse_report(SAMPLE.read_text())
    first, _ = usage_from_report(rows, TENANTS, OFFERINGS)
    second, _ = usage_from_report(parse_report(SAMPLE.read_text()), TENANTS, OFFERINGS)
    assert [u.event_id for u in first] == [u.event_id for u in second]
    assert len({u.event_id for u in first}) == len(first)


def test_mapped_field_and_unmapped_rows_are_reported_not_guessed() -> None:
    usage, skipped = usage_from_report(parse_report(SAMPLE.read_text()), TENANTS, OFFERINGS)
    workstations = [u.data for u in usage if u.data["sku"] == "SKU-WORKSTATION"]
    assert [w["quantity"] for w in workstations] == ["12", "15"]  # `value`, not `absolute_value`
    storage = [u.data for u in usage if u.data["sku"] == "SKU-BACKUP-STORAGE-GB"]
    assert storage[0]["quantity"] == "1500"  # 1,610,612,736,000 bytes
    assert storage[0]["measured_at"] == "2024-02-27T23:59:59+00:00"
    assert len(skipped) == 3  # Fabrikam (2 rows) and the unmapped tenant


def test_a_bad_line_names_its_line_number() -> None:
    text = "date,tenant_id,offering_item,measurement_unit,value,absolute_value\n2024-02-27,t,o,bytes,-1,0\n"
    with pytest.raises(ReportError, match="line 2"):
        parse_report(text)
