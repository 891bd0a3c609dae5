"""The ledger's key of an event id and its fingerprint of a payload (ADR 0022): every id keeps a key of its own
for all time, and a payload decided before migration 0013 has the same fingerprint now as it had then."""

from __future__ import annotations

import hashlib
import importlib.util
import uuid
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from billing.adapters.usage_wire import event_key, fingerprint_of, read_usage
from tests.harness.legacy_usage_ledger import legacy_fingerprint

MIGRATION = Path(__file__).resolve().parents[3] / "services/billing/migrations/versions/0013_slim_usage_ledger.py"
GOOD: dict[str, Any] = {
    "reseller_id": "0190c3a1-2001-7000-8000-000000000201",
    "subscription_id": "0190c3a1-3001-7000-8000-000000000301",
    "customer_id": "3f2d8c1e-5b7a-4e0f-9c61-0a8b7d6e5f41",
    "sku": "SKU-BACKUP-STORAGE-GB",
    "quantity": "1536.25",
    "measured_at": "2023-12-14T00:05:00Z",
    "source": "acronis-usage-collector",
}


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("billing_migration_0013", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


migration = _migration()


def test_a_canonical_uuid_is_its_own_key_and_any_other_id_gets_a_version_8_uuid() -> None:
    canonical = str(uuid.uuid4())
    assert event_key(canonical) == canonical
    for other in (canonical.upper(), "{" + canonical + "}", "evt-42", "collector-7.report-2024-02-03.LINE-1", "é"):
        key = event_key(other)
        assert uuid.UUID(key).version == 8
        assert str(uuid.UUID(key)) == key  # canonical text, as the ledger's uuid column reads back
        assert key != canonical
        assert event_key(other) == key  # the same for all time


@given(first=st.text(min_size=1, max_size=200), second=st.text(min_size=1, max_size=200))
def test_distinct_ids_have_distinct_keys_and_the_migration_keys_rows_as_the_code_does(first: str, second: str) -> None:
    assert (event_key(first) == event_key(second)) == (first == second)
    assert migration.event_key(first) == event_key(first)


@given(canonical=st.uuids())
def test_the_migration_keeps_a_canonical_uuid_as_its_key(canonical: uuid.UUID) -> None:
    assert migration.event_key(str(canonical)) == event_key(str(canonical)) == str(canonical)


QUANTITIES = st.one_of(
    st.integers(min_value=0, max_value=10**18 - 1).map(str),
    st.builds(
        lambda whole, fraction, zeros: f"{whole}.{fraction}{'0' * zeros}",
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0, max_value=5),
    ),
    st.sampled_from(["0", "0.0", "100", "1000.000", "1E+3", "2.50", "0.000001", "1E-7", "-0"]),
)


@given(quantity=QUANTITIES)
def test_a_fingerprint_is_the_first_64_bits_of_the_one_kept_before_migration_0013(quantity: str) -> None:
    usage = read_usage({**GOOD, "quantity": quantity})
    legacy = legacy_fingerprint(usage)
    assert usage.fingerprint() == migration.fingerprint(legacy)
    assert usage.fingerprint() == int.from_bytes(bytes.fromhex(legacy[:16]), "big", signed=True)


@given(payload=st.binary(max_size=300))
def test_the_fingerprint_of_any_payload_is_the_signed_head_of_its_blake2b_128_digest(payload: bytes) -> None:
    digest = hashlib.blake2b(payload, digest_size=16).hexdigest()
    assert fingerprint_of(payload) == migration.fingerprint(digest)
    assert -(2**63) <= fingerprint_of(payload) < 2**63


def test_value_equal_quantities_have_one_fingerprint() -> None:
    assert {read_usage({**GOOD, "quantity": q}).fingerprint() for q in ("100", "100.00", "1E+2")} == {
        read_usage({**GOOD, "quantity": Decimal(100)}).fingerprint()
    }
