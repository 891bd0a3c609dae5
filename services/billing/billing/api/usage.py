"""`POST /v1/usage` (a batch, answered per event) and `GET /v1/usage/{event_id}` (an event's fate)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from billing.adapters.usage_wire import JSON_ENCODER, decode_batch
from billing.api import examples as own
from billing.deps import RuntimeDep, UsageProducer, UsageStoreDep, use_case
from billing.domain.usage_rules import UsageFate
from billing.errors import InvalidInput, UsageEventNotFound
from billing.usecases.usage_fate import usage_fate
from billing.usecases.usage_intake import Outcome, ingest_usage
from bss.api import examples
from bss.api.json_body import JSON_BODY_REFUSED, parse_json_body, require_utf8

router = APIRouter(prefix="/v1/usage", tags=["usage"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_OF_THE_EXAMPLE = {
    "reseller_id": examples.RESELLER_ID,
    "subscription_id": examples.SUBSCRIPTION_ID,
    "customer_id": examples.CUSTOMER_ID,
}
# January 2025 for the example subscription (paid from 2025-01-01, csp-commit-1000); SKUs of the seeded catalog.
_BATCH = {
    "events": [
        {
            "event_id": "0d4e6f81-2a3b-4c5d-9e6f-7a8b9c0d1e30",
            **_OF_THE_EXAMPLE,
            "sku": "CSP-SERVERS",
            "quantity": "4",
            "measured_at": "2025-01-20T23:00:00Z",
            "source": "acronis-usage-collector",
        },
        {
            "event_id": "0d4e6f81-2a3b-4c5d-9e6f-7a8b9c0d1e31",
            **_OF_THE_EXAMPLE,
            "sku": "CSP-VMS",
            "quantity": "18",
            "measured_at": "2025-01-20T23:00:00Z",
            "source": "acronis-usage-collector",
        },
        {
            "event_id": "0d4e6f81-2a3b-4c5d-9e6f-7a8b9c0d1e32",
            **_OF_THE_EXAMPLE,
            "sku": "CSP-M365-SEATS",
            "quantity": "35",
            "measured_at": "2025-01-21T08:30:00+01:00",
            "source": "acronis-usage-collector",
        },
    ]
}
_ONE_EVENT = {
    "events": [
        {
            "event_id": own.USAGE_EVENT_ID,
            **_OF_THE_EXAMPLE,
            "sku": "CSP-DR-COMPUTE",
            "quantity": "12.5",
            "measured_at": "2025-01-22T10:00:00Z",
            "source": "acronis-usage-collector",
        }
    ]
}


class UsageOutcomeRead(BaseModel):
    event_id: str
    status: Literal["accepted", "duplicate", "rejected"]
    reason_code: str | None = Field(
        default=None, description='Why a rejected event was refused (docs/domain.md, "Usage ingestion").'
    )
    detail: str | None = None
    field: str | None = Field(default=None, description="The event's field at fault, where one is.")


class UsageBatchRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "accepted": 3,
                "duplicate": 0,
                "rejected": 0,
                "results": [
                    {"event_id": event["event_id"], "status": "accepted", "reason_code": None, "detail": None}
                    for event in _BATCH["events"]
                ],
            }
        }
    )

    accepted: int
    duplicate: int
    rejected: int
    results: list[UsageOutcomeRead] = Field(description="One answer per event, in the order sent.")


class UsageFateRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "event_id": own.USAGE_EVENT_ID,
                "status": "accepted",
                "counted": True,
                "reason_code": None,
                "detail": None,
                "conflicting_duplicates": 0,
                "subscription_id": None,
                "sku": None,
                "quantity": None,
                "received_at": "2026-12-01T09:00:00.123456+00:00",
            }
        }
    )

    event_id: str
    status: UsageFate
    counted: bool = Field(description="An accepted event: whether the usage consumer has counted it yet.")
    reason_code: str | None
    detail: str | None
    conflicting_duplicates: int = Field(description="Resends of this id with another payload (the first counts).")
    subscription_id: str | None = Field(
        description="What the event carried, while it is on its way to be counted (null once counted: the ledger "
        "keeps a counted event's id and fingerprint only, ADR 0022; the usage is in the aggregates)."
    )
    sku: str | None = Field(description="As subscription_id.")
    quantity: Decimal | None = Field(description="As subscription_id.")
    received_at: str


def _reject_constant(name: str) -> str:
    return name  # NaN / Infinity stay text: the quantity check refuses them per event


def _parse_document(body: bytes) -> object:
    """The batch as plain JSON, read by the suite's one body parser (a hostile body is a 400): numbers exact
    (`Decimal`), and a bare NaN or Infinity kept as text, so that event alone is refused."""
    return parse_json_body(body, parse_float=Decimal, parse_constant=_reject_constant)


def _events_of(body: bytes) -> list[tuple[object, object]] | None:
    """(event id, event) pairs: the usual form decoded at C speed, else each event read on its own."""
    require_utf8(body)  # msgspec skips the members it does not read without checking their bytes
    try:
        usual = decode_batch(body)
    except RecursionError:  # msgspec's own depth limit (~1,000): the shared parser refuses it with its reason
        usual = None
    if usual is not None:
        return usual  # type: ignore[return-value]
    document = _parse_document(body)
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        return None
    return [(event.get("event_id") if isinstance(event, dict) else None, event) for event in events]


def _parse_batch(body: bytes, limit: int) -> list[tuple[str, object]]:
    events = _events_of(body)
    if not events:
        raise InvalidInput("events", "a non-empty list of usage events")
    if len(events) > limit:
        raise InvalidInput("events", f"{len(events)} events; a batch carries at most {limit}")
    items: list[tuple[str, object]] = []
    for index, (event_id, event) in enumerate(events):
        if not isinstance(event_id, str) or not 0 < len(event_id) <= 200:
            raise InvalidInput(f"events.{index}.event_id", "every event carries its id (1-200 characters)")
        items.append((event_id, event))  # `event_id` rides along; the contract ignores unknown fields
    return items


def _answer(outcomes: list[Outcome]) -> Response:
    """The batch answer, encoded directly (a 10,000-event answer through response models costs more than
    the ingestion; msgspec writes the `Outcome` dataclasses itself); its shape is `UsageBatchRead`, which the
    OpenAPI document shows."""
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return Response(JSON_ENCODER.encode({**counts, "results": outcomes}), media_type="application/json")


@router.post(
    "",
    summary="Report a batch of usage events (up to 10,000); each is answered accepted, duplicate or rejected",
    response_model=UsageBatchRead,
    responses={
        400: JSON_BODY_REFUSED,
        422: {"description": "The batch itself is malformed or over the limit", **_PROBLEM},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "examples": {
                        "batch": {"summary": "A collector's batch for January 2025", "value": _BATCH},
                        "one event": {"summary": "A single event (a batch of one)", "value": _ONE_EVENT},
                    }
                }
            },
        }
    },
)
async def post_usage(request: Request, runtime: RuntimeDep, store: UsageStoreDep, caller: UsageProducer) -> Response:
    """Reports usage: `{"events": [...]}`, one event or a batch of up to 10,000 (`BILLING_USAGE_BATCH_LIMIT`),
    each a `UsageRecorded` (its id, reseller, subscription, customer, SKU, quantity, `measured_at` with a time
    zone, source). Each event is answered on its own: `accepted` (stored before this answer, then counted once
    into the month of its `measured_at`, or as late usage on the next invoice if that month is invoiced),
    `duplicate` (the id was received before; the first version counts) or `rejected` with its reason
    (`invalid_payload`, `quantity_out_of_range`, `unknown_subscription`, `reseller_mismatch`, `unknown_sku`,
    `measured_in_future`, `outside_subscription`, `billed_elsewhere`). A refusal is final for its id, except
    `unknown_subscription`: billing may not have learnt of the subscription yet, and the same id sent later is
    judged afresh.

    Usage collectors (the `system` role) and admins may call it; other roles are refused (403). A body that is
    not a JSON object with a non-empty `events` list, over the limit, or with an event without its `event_id`
    (1-200 characters) is refused whole (422); one that is not UTF-8 JSON within the suite's limits, with 400."""
    items = _parse_batch(await request.body(), runtime.settings.usage_batch_limit)
    return _answer(await ingest_usage(use_case(runtime, caller), store, items))


@router.get(
    "/{event_id}",
    summary="The fate of a usage event: accepted (and whether counted yet) or rejected with the reason",
    response_model=UsageFateRead,
    responses={404: {"description": "The id was never received", **_PROBLEM}},
)
async def get_usage(
    event_id: Annotated[str, Path(description="The event id it was reported with.", examples=[own.USAGE_EVENT_ID])],
    runtime: RuntimeDep,
    _caller: UsageProducer,
) -> UsageFateRead:
    """What became of a usage event id, for good: `accepted` (with `counted` telling whether the usage consumer
    has counted it yet) or `rejected` with its reason, what it carried, and how many resends with another payload
    were refused as conflicting duplicates. An id refused as `unknown_subscription` may still be sent again. 404
    for an id billing never received. Usage collectors (the `system` role) and admins may call it (403 for
    others)."""
    fate = await usage_fate(runtime, event_id)
    if fate is None:
        raise UsageEventNotFound(event_id)
    return UsageFateRead(
        event_id=fate.event_id,
        status=fate.status,  # type: ignore[arg-type]
        counted=fate.counted,
        reason_code=fate.reason_code,
        detail=fate.detail,
        conflicting_duplicates=fate.conflicts,
        subscription_id=fate.subscription_id,
        sku=fate.sku,
        quantity=fate.quantity,
        received_at=fate.received_at.isoformat(),
    )
