"""`POST /v1/usage` (a batch, answered per event) and `GET /v1/usage/{event_id}` (an event's fate)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from billing.adapters.usage_wire import JSON_ENCODER, decode_batch
from billing.deps import RuntimeDep, UsageProducer, UsageStoreDep, use_case
from billing.domain.usage_rules import UsageFate
from billing.errors import InvalidInput, UsageEventNotFound
from billing.usecases.usage_fate import usage_fate
from billing.usecases.usage_intake import Outcome, ingest_usage
from bss.api.json_body import JSON_BODY_REFUSED, parse_json_body, require_utf8

router = APIRouter(prefix="/v1/usage", tags=["usage"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_EXAMPLE_EVENT = {
    "event_id": "0190c3a5-9a00-7000-8000-00000000beef",
    "reseller_id": "0190c3a1-2001-7000-8000-000000000201",
    "subscription_id": "0190c3a1-3001-7000-8000-000000000301",
    "customer_id": "3f2d8c1e-5b7a-4e0f-9c61-0a8b7d6e5f41",
    "sku": "SKU-BACKUP-STORAGE-GB",
    "quantity": "1536.25",
    "measured_at": "2023-12-14T00:05:00Z",
    "source": "acronis-usage-collector",
}


class UsageOutcomeRead(BaseModel):
    event_id: str
    status: Literal["accepted", "duplicate", "rejected"]
    reason_code: str | None = None
    detail: str | None = None
    field: str | None = None


class UsageBatchRead(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    results: list[UsageOutcomeRead]


class UsageFateRead(BaseModel):
    event_id: str
    status: UsageFate
    counted: bool
    reason_code: str | None
    detail: str | None
    conflicting_duplicates: int
    subscription_id: str | None
    sku: str | None
    quantity: Decimal | None
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
            "content": {"application/json": {"example": {"events": [_EXAMPLE_EVENT]}}},
        }
    },
)
async def post_usage(request: Request, runtime: RuntimeDep, store: UsageStoreDep, caller: UsageProducer) -> Response:
    items = _parse_batch(await request.body(), runtime.settings.usage_batch_limit)
    return _answer(await ingest_usage(use_case(runtime, caller), store, items))


@router.get(
    "/{event_id}",
    summary="The fate of a usage event: accepted (and whether counted yet) or rejected with the reason",
    response_model=UsageFateRead,
    responses={404: {"description": "The id was never received", **_PROBLEM}},
)
async def get_usage(event_id: str, runtime: RuntimeDep, _caller: UsageProducer) -> UsageFateRead:
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
