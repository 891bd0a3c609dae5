"""`UsageRecorded` on the hot path: read and written with msgspec, with the contract's exact meaning.

Ingestion handles tens of thousands of events a second, where validating each event with the pydantic
contract (`UsageRecordedV1`) and building its envelope with `make_event` costs more than the database does.
So events in the usual, canonical form (lower-case UUIDs, decimal-string or integer quantities, ISO 8601
times with a zone) are read here directly; anything else goes to the contract itself, which decides and
explains. Either way the result is the same `Usage` (`tests/unit/billing/test_usage_wire.py` holds the two
readers to each other), and the envelopes written here parse as `CloudEvent`s carrying a valid contract.
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from pydantic import ValidationError

from bss.events.contracts.billing import UsageRecordedV1
from bss.events.contracts.value_types import decimal_text
from bss.quantities import EXACT, INVALID, QuantityRefused, canonical_quantity, is_plain_quantity, quantity_refusal

USAGE_TYPE = UsageRecordedV1.event_type
JSON_DECODER = msgspec.json.Decoder(float_hook=Decimal)
"""Reads JSON with every non-integer number as its exact `Decimal` (never a float)."""
JSON_ENCODER = msgspec.json.Encoder(decimal_format="string")


# An id's length is checked while decoding; its canonical form (lower-case UUID) by `settle`, once per distinct
# id: a pattern in the type costs a regular-expression match per id and event, more than all the rest of the
# decoding (1.1-1.3 of 2.3-2.5 us per event: `python -m bench usage_wire`).
_ID = Annotated[str, msgspec.Meta(min_length=36, max_length=36)]
_CANONICAL_ID = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_KNOWN_IDS_LIMIT = 200_000
_known_ids: set[str] = set()  # ids already found canonical (bounded: emptied when full)
_SKU = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
_NAME = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Usage(msgspec.Struct, frozen=True):
    """A valid usage event's data, canonical: ids lower-case, quantity exact, `measured_at` in UTC.

    Decoded by msgspec straight from JSON (C speed); `settle` then checks what the type alone cannot, and
    only a settled `Usage` is valid.
    """

    reseller_id: _ID
    subscription_id: _ID
    customer_id: _ID
    sku: _SKU
    quantity: Decimal
    measured_at: datetime
    source: _NAME

    def fingerprint(self) -> int:
        """Equal for equal payloads (`1.50` equals `1.5`, one instant in any zone): a resend; another
        fingerprint is a conflict (`fingerprint_of`)."""
        quantity = str(self.quantity)
        if quantity[-1] == "0" or "E" in quantity:  # else it has no trailing zero to drop: it is its normal form
            quantity = str(self.quantity.normalize(EXACT))  # exact: an accepted quantity has at most 64 digits
        fields = (
            self.reseller_id,
            self.subscription_id,
            self.customer_id,
            self.sku,
            quantity,
            self.measured_at,  # msgpack writes the instant itself (a timestamp), whatever the zone
            self.source,
        )
        return fingerprint_of(_MSGPACK.encode(fields))


_MSGPACK = msgspec.msgpack.Encoder()


def fingerprint_of(payload: bytes) -> int:
    """The ledger's fingerprint of a payload: the first 64 bits of its BLAKE2b-128 digest, as a signed integer
    (a `bigint`). Ledger rows written before migration 0013 kept the whole digest in hex; their first 16 hex
    digits are this number, so a resend of an event counted then still compares equal. Two different payloads
    under one id share a fingerprint with a probability of 2^-64: that conflict would go unreported (the first
    version counts either way)."""
    digest = _BLAKE2B_128.copy()  # a copy of a fresh hasher costs less than making one with its parameters
    digest.update(payload)
    return int(_FIRST_64_BITS.unpack_from(digest.digest())[0])


_BLAKE2B_128 = hashlib.blake2b(digest_size=16)
_FIRST_64_BITS = struct.Struct(">q")


def event_key(event_id: str) -> str:
    """The ledger's key of an event id: the id itself when it is a canonical (lower-case) UUID, as ids nearly
    always are; else a UUID derived from the id's SHA-256 (version 8, "custom", so it is never a v1-v7 UUID that
    a producer could send). Ids stay unique for all time: two ids share a key only by a SHA-256 collision."""
    if len(event_id) == 36 and _CANONICAL_ID.fullmatch(event_id) is not None:
        return event_id
    digest = bytearray(hashlib.sha256(event_id.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 9562 variant
    return str(uuid.UUID(bytes=bytes(digest)))


class InvalidUsage(ValueError):
    """The event's data breaks the contract; `field` names the first offending field (None: the whole event),
    `reason_code` the `UsageRejected` reason (`quantity_out_of_range` for a quantity beyond the quantity rule)."""

    def __init__(self, field: str | None, detail: str, reason_code: str = INVALID) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail
        self.reason_code = reason_code


def read_usage(raw: object) -> Usage:
    """The event's data as `Usage`, or `InvalidUsage` saying what is wrong (the contract's own words)."""
    if isinstance(raw, Usage):
        usage = settle(raw)
        if usage is not None:
            return usage
        raw = msgspec.to_builtins(raw)
    elif isinstance(raw, dict) and type(raw.get("quantity")) is not float:  # a float is never exact
        try:
            usage = settle(msgspec.convert(raw, Usage))
        except msgspec.ValidationError:
            usage = None
        if usage is not None:
            return usage
    return _read_by_contract(raw)


def settle(usage: Usage) -> Usage | None:
    """The decoded usage in UTC if it is valid; None if the contract must decide and explain (an id not in
    canonical form, a time without a zone). A quantity beyond the quantity rule (`bss.quantities`) is refused
    here, with its reason, before anything could expand or compute with it."""
    moment = usage.measured_at
    offset = moment.utcoffset()
    quantity = usage.quantity
    if not is_plain_quantity(quantity):
        refusal = quantity_refusal(quantity)
        if refusal is not None:
            raise InvalidUsage("quantity", refusal.detail, refusal.reason_code)
        usage = msgspec.structs.replace(usage, quantity=canonical_quantity(quantity))
    if offset is None or not _canonical_ids(usage):
        return None
    if offset or moment.tzinfo is not UTC:
        return msgspec.structs.replace(usage, measured_at=moment.astimezone(UTC))
    return usage


def _canonical_ids(usage: Usage) -> bool:
    """Whether the event's ids are lower-case UUIDs; each distinct id is matched once."""
    known = _known_ids
    if usage.subscription_id in known and usage.customer_id in known and usage.reseller_id in known:
        return True
    for value in (usage.reseller_id, usage.subscription_id, usage.customer_id):
        if value not in known:
            if _CANONICAL_ID.fullmatch(value) is None:
                return False
            if len(known) >= _KNOWN_IDS_LIMIT:
                known.clear()
            known.add(value)
    return True


def _read_by_contract(raw: object) -> Usage:
    try:
        data = UsageRecordedV1.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, QuantityRefused):
            raise InvalidUsage(field, cause.refusal.detail, cause.refusal.reason_code) from None
        raise InvalidUsage(field, f"{field}: {error['msg']}" if field else str(error["msg"])) from None
    return Usage(
        reseller_id=data.reseller_id,
        subscription_id=data.subscription_id,
        customer_id=data.customer_id,
        sku=data.sku,
        quantity=data.quantity,
        measured_at=data.measured_at,
        source=data.source,
    )


class _EventIds(msgspec.Struct):
    event_id: object = None


class _Batch(msgspec.Struct):
    events: list[Usage]


class _BatchIds(msgspec.Struct):
    events: list[_EventIds]


_BATCH = msgspec.json.Decoder(_Batch)
_BATCH_IDS = msgspec.json.Decoder(_BatchIds)


def decode_batch(body: bytes) -> list[tuple[object, Usage]] | None:
    """A usage batch in the usual form, decoded at C speed as (event id, usage) pairs; None if any event is
    unusual or invalid (the caller then reads the events one by one, answering each)."""
    try:
        events = _BATCH.decode(body).events
        ids = _BATCH_IDS.decode(body).events
    except msgspec.DecodeError:
        return None
    return [(ids[i].event_id, usage) for i, usage in enumerate(events)]


def instant_text(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as the contracts write instants."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _OutgoingEnvelope(msgspec.Struct):
    id: str
    source: str
    time: str
    subject: str
    data: Usage
    specversion: str = "1.0"
    type: str = USAGE_TYPE
    datacontenttype: str = "application/json"


def encode_envelope(event_id: str, usage: Usage, *, source: str, time_text: str) -> bytes:
    """The CloudEvents envelope of a `UsageRecorded`, keyed by its subscription, as `make_event` would build it."""
    envelope = _OutgoingEnvelope(event_id, source, time_text, usage.subscription_id, usage)
    if "E" in str(usage.quantity):  # e.g. 1E-7: the contract writes plain decimals, never exponents
        document = msgspec.to_builtins(envelope)
        document["data"]["quantity"] = decimal_text(usage.quantity)
        return JSON_ENCODER.encode(document)
    return JSON_ENCODER.encode(envelope)


class Envelope(msgspec.Struct, frozen=True):
    """The envelope fields the usage consumer reads (CloudEvents 1.0 structured JSON)."""

    id: str
    source: str
    type: str
    time: str
    data: dict[str, Any]
    specversion: str = "1.0"


class UsageEnvelope(msgspec.Struct, frozen=True):
    """A `UsageRecorded` envelope in the usual form, data decoded straight into `Usage`."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    source: _NAME
    type: str
    data: Usage
    specversion: str = "1.0"


ENVELOPE_DECODER = msgspec.json.Decoder(type=Envelope, float_hook=Decimal)
_USAGE_ENVELOPE = msgspec.json.Decoder(type=UsageEnvelope)


def decode_usage_envelope(value: bytes) -> tuple[str, str, str, object]:
    """(event id, producer, event type, data) of a `bss.usage` record: the data as `Usage` when the usual
    form decodes, else as plain JSON for the contract to judge; ValueError if it is no envelope at all."""
    try:
        usual = _USAGE_ENVELOPE.decode(value)
    except msgspec.DecodeError:
        envelope = decode_envelope(value)
        return envelope.id, envelope.source, envelope.type, envelope.data
    if usual.specversion != "1.0":
        raise ValueError("not a CloudEvents 1.0 envelope: specversion must be 1.0")
    return usual.id, usual.source, usual.type, usual.data


class _IdOnly(msgspec.Struct):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


_ID_ONLY = msgspec.json.Decoder(_IdOnly)


def read_event_id(value: bytes) -> str | None:
    """The event id of a record no reader could make sense of, if its envelope names one (1-200 characters)."""
    try:
        return _ID_ONLY.decode(value).id
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None


def decode_envelope(value: bytes) -> Envelope:
    """The envelope of a `bss.usage` record, or ValueError saying why it is not one."""
    try:
        envelope = ENVELOPE_DECODER.decode(value)
    except msgspec.DecodeError as exc:
        raise ValueError(f"not a CloudEvents JSON envelope: {exc}") from None
    if envelope.specversion != "1.0" or not 0 < len(envelope.id) <= 200 or not envelope.source or not envelope.type:
        raise ValueError("not a CloudEvents 1.0 envelope: specversion, id, source and type are required")
    return envelope
