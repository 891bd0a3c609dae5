"""The hot-path usage reader and envelope writer mean exactly what the pydantic contract means."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.adapters import usage_wire as wire
from billing.adapters.usage_wire import (
    InvalidUsage,
    Usage,
    decode_batch,
    decode_envelope,
    decode_usage_envelope,
    encode_envelope,
    read_usage,
    settle,
)
from bss.events.contracts.billing import UsageRecordedV1
from bss.events.envelope import CloudEvent

GOOD: dict[str, Any] = {
    "reseller_id": "0190c3a1-2001-7000-8000-000000000201",
    "subscription_id": "0190c3a1-3001-7000-8000-000000000301",
    "customer_id": "3f2d8c1e-5b7a-4e0f-9c61-0a8b7d6e5f41",
    "sku": "SKU-BACKUP-STORAGE-GB",
    "quantity": "1536.25",
    "measured_at": "2023-12-14T00:05:00Z",
    "source": "acronis-usage-collector",
}


def _read_canonical(raw: dict[str, Any]) -> Usage | None:
    """What the HTTP intake's fast path makes of one event: decoded with the batch at C speed, then settled."""
    decoded = decode_batch(msgspec.json.encode({"events": [{"event_id": "e-1", **raw}]}))
    if decoded is None:
        return None
    assert decoded[0][0] == "e-1"
    return settle(decoded[0][1])


def _contract(raw: dict[str, Any]) -> Usage:
    data = UsageRecordedV1.model_validate(raw)
    return Usage(
        data.reseller_id,
        data.subscription_id,
        data.customer_id,
        data.sku,
        data.quantity,
        data.measured_at,
        data.source,
    )


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"quantity": "0"},
        {"quantity": 7},
        {"quantity": "0007.50"},
        {"measured_at": "2024-02-29T23:59:59.123456+02:00"},
        {"measured_at": "2024-03-01T00:00:00-05:30"},
        {"measured_at": "2024-02-03 10:00:00+00:00"},
        {"extra_field": "ignored like the contract does"},
    ],
)
def test_canonical_reader_reads_the_usual_form_exactly_as_the_contract(change: dict[str, Any]) -> None:
    raw = {**GOOD, **change}
    fast = _read_canonical(raw)
    assert fast is not None, "the usual form takes the fast path"
    assert fast == _contract(raw)
    assert fast.measured_at.tzinfo is UTC


@pytest.mark.parametrize(
    "change",
    [
        {"reseller_id": "0190C3A1-2001-7000-8000-000000000201"},  # upper case: the contract canonicalises
        {"measured_at": "2024-02-03T10:00:00"},  # no zone: refused, in the contract's words
    ],
)
def test_unusual_forms_go_to_the_contract(change: dict[str, Any]) -> None:
    raw = {**GOOD, **change}
    assert _read_canonical(raw) is None
    try:
        expected: Usage | str = _contract(raw)
    except ValueError as refused:
        expected = type(refused).__name__
    try:
        actual: Usage | str = read_usage(raw)
    except InvalidUsage:
        actual = "ValidationError"
    assert actual == expected


@pytest.mark.parametrize("quantity", [Decimal("1.5"), "1e3", "0.0000001", 12])
def test_exact_quantities_in_any_notation_read_as_the_contract_reads_them(quantity: object) -> None:
    raw = {**GOOD, "quantity": quantity}
    assert read_usage(raw) == _contract(raw)
    envelope = encode_envelope("e", read_usage(raw), source="/bss/billing", time_text="2024-01-01T00:00:00Z")
    written = CloudEvent.from_json(envelope).data["quantity"]
    assert "E" not in written  # plain decimals on the wire
    assert Decimal(written) == Decimal(str(quantity))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "Infinity"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),  # a float is never exact
        ({"quantity": True}, "quantity"),
        ({"measured_at": "2024-02-03T10:00:00"}, "measured_at"),  # no zone
        ({"measured_at": "2024-02-30T10:00:00Z"}, "measured_at"),
        ({"subscription_id": "not-a-uuid"}, "subscription_id"),
        ({"sku": ""}, "sku"),
        ({"source": None}, "source"),
    ],
)
def test_invalid_events_are_refused_naming_the_field_as_the_contract_does(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidUsage) as refused:
        read_usage({**GOOD, **change})
    assert refused.value.field == field


@pytest.mark.parametrize("field", ["reseller_id", "subscription_id", "customer_id"])
def test_every_id_is_checked_canonical_whatever_ids_were_seen_before(
    field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast reader remembers ids found canonical; an id of the same length but another form still goes
    to the contract, also after many others filled and emptied the memory."""
    monkeypatch.setattr(wire, "_KNOWN_IDS_LIMIT", 50)
    for number in range(60):  # fills the memory past its bound once
        assert _read_canonical({**GOOD, field: f"{number:08x}-0000-4000-8000-000000000000"}) is not None
    for unusual in (GOOD[field].upper(), GOOD[field][:-1] + "g", GOOD[field].replace("-", "_")):
        assert len(unusual) == 36
        assert _read_canonical({**GOOD, field: unusual}) is None
    assert _read_canonical(GOOD) is not None
    with pytest.raises(InvalidUsage) as refused:
        read_usage({**GOOD, field: GOOD[field][:-1] + "g"})
    assert refused.value.field == field


def test_a_missing_field_is_named() -> None:
    raw = dict(GOOD)
    del raw["customer_id"]
    with pytest.raises(InvalidUsage) as refused:
        read_usage(raw)
    assert refused.value.field == "customer_id"


@given(
    whole=st.integers(min_value=0, max_value=10**12),
    fraction=st.none() | st.integers(min_value=0, max_value=10**6),
    offset_minutes=st.sampled_from([0, 60, -300, 330, 840]),
)
def test_fast_and_contract_readers_agree_on_quantities_and_zones(
    whole: int, fraction: int | None, offset_minutes: int
) -> None:
    quantity = f"{whole}" if fraction is None else f"{whole}.{fraction}"
    sign = "+" if offset_minutes >= 0 else "-"
    zone = f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    raw = {**GOOD, "quantity": quantity, "measured_at": f"2024-02-03T10:15:00{zone}"}
    assert _read_canonical(raw) == _contract(raw)


def test_fingerprint_equal_for_equal_payloads_and_different_otherwise() -> None:
    usage = read_usage(GOOD)
    assert read_usage({**GOOD, "quantity": "1536.250"}).fingerprint() == usage.fingerprint()
    assert read_usage({**GOOD, "measured_at": "2023-12-14T01:05:00+01:00"}).fingerprint() == usage.fingerprint()
    assert read_usage({**GOOD, "quantity": "1536.26"}).fingerprint() != usage.fingerprint()
    assert read_usage({**GOOD, "source": "another"}).fingerprint() != usage.fingerprint()


def test_the_envelope_written_parses_as_a_cloud_event_with_a_valid_contract() -> None:
    usage = read_usage(GOOD)
    value = encode_envelope("evt-1", usage, source="/bss/billing", time_text="2024-01-01T00:00:00Z")
    event = CloudEvent.from_json(value)
    assert (event.id, event.type, event.subject) == ("evt-1", UsageRecordedV1.event_type, usage.subscription_id)
    assert event.time == datetime(2024, 1, 1, tzinfo=UTC)
    assert _contract(event.data) == usage
    assert decode_envelope(value).data["quantity"] == "1536.25"
    assert decode_usage_envelope(value) == ("evt-1", "/bss/billing", UsageRecordedV1.event_type, usage)


@pytest.mark.parametrize(
    "value", [b"", b"{}", b"[1]", b'{"id": "", "source": "s", "type": "t", "time": "x", "data": {}}']
)
def test_records_that_are_not_envelopes_are_refused_with_a_reason(value: bytes) -> None:
    with pytest.raises(ValueError, match="envelope"):
        decode_envelope(value)


@pytest.mark.parametrize("quantity", ["1e2000000", "1e999999999", "1e309", "1e-999999", "9" * 5000, "1" * 19])
@pytest.mark.parametrize("as_number", [False, True])
def test_quantity_beyond_the_quantity_rule_is_refused_out_of_range_by_every_reader(
    quantity: str, as_number: bool
) -> None:
    raw = {**GOOD, "quantity": Decimal(quantity) if as_number else quantity}
    encoder = msgspec.json.Encoder(decimal_format="number" if as_number else "string")
    body = encoder.encode({"events": [{"event_id": "e-1", **raw}]})
    decoded = decode_batch(body)
    readers: list[object] = [raw]
    try:
        readers.append(wire.JSON_DECODER.decode(body)["events"][0])
    except msgspec.ValidationError:  # an integer over 64 bits: the body is refused before any event is read
        assert as_number
    if decoded is not None:
        readers.append(decoded[0][1])
    for candidate in readers:
        with pytest.raises(InvalidUsage) as refused:
            read_usage(candidate)
        assert (refused.value.field, refused.value.reason_code) == ("quantity", "quantity_out_of_range")
        assert len(refused.value.detail) < 200


def test_a_usage_record_with_an_out_of_range_quantity_is_refused_not_expanded() -> None:
    value = encode_envelope(
        "e-1",
        Usage(**{**GOOD, "quantity": Decimal(1), "measured_at": datetime(2023, 12, 14, tzinfo=UTC)}),
        source="/x",
        time_text="2023-12-14T00:00:00Z",
    )
    poisoned = value.replace(b'"quantity":"1"', b'"quantity":"1e2000000"')
    _, _, _, data = decode_usage_envelope(poisoned)
    with pytest.raises(InvalidUsage) as refused:
        read_usage(data)
    assert refused.value.reason_code == "quantity_out_of_range"


@pytest.mark.parametrize(("quantity", "written"), [("1E+3", "1000"), ("1.500000000000000", "1.5"), ("-0", "0")])
def test_an_accepted_quantity_in_unusual_notation_is_written_canonical(quantity: str, written: str) -> None:
    usage = read_usage({**GOOD, "quantity": quantity})
    envelope = encode_envelope("e-1", usage, source="/x", time_text="2023-12-14T00:00:00Z")
    assert msgspec.json.decode(envelope)["data"]["quantity"] == written
