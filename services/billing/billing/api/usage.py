"""`POST /v1/usage` (a batch, answered per event) and `GET /v1/usage/{event_id}` (an event's fate)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from billing.deps import RuntimeDep, Session, UsageProducer
from billing.errors import InvalidInput, UsageEventNotFound
from billing.settings import BillingSettings
from billing.usage_ingestion import ingest_usage, usage_fate

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
    status: Literal["accepted", "rejected"]
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


def _parse_batch(body: bytes, limit: int) -> list[tuple[str, dict[str, Any]]]:
    try:
        document = json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("body", f"not JSON: {exc}") from exc
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list) or not events:
        raise InvalidInput("events", "a non-empty list of usage events")
    if len(events) > limit:
        raise InvalidInput("events", f"{len(events)} events; a batch carries at most {limit}")
    items: list[tuple[str, dict[str, Any]]] = []
    for index, event in enumerate(events):
        event_id = event.get("event_id") if isinstance(event, dict) else None
        if not isinstance(event_id, str) or not 0 < len(event_id) <= 200:
            raise InvalidInput(f"events.{index}.event_id", "every event carries its id (1-200 characters)")
        data = {key: value for key, value in event.items() if key != "event_id"}
        if isinstance(data.get("quantity"), Decimal):
            data["quantity"] = str(data["quantity"])  # exact: parsed from the JSON text, never a float
        items.append((event_id, data))
    return items


@router.post(
    "",
    summary="Report a batch of usage events (up to 10,000); each is answered accepted, duplicate or rejected",
    response_model=UsageBatchRead,
    responses={422: {"description": "The batch itself is malformed or over the limit", **_PROBLEM}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"example": {"events": [_EXAMPLE_EVENT]}}},
        }
    },
)
async def post_usage(request: Request, runtime: RuntimeDep, session: Session, _caller: UsageProducer) -> UsageBatchRead:
    settings = runtime.settings
    assert isinstance(settings, BillingSettings)
    items = _parse_batch(await request.body(), settings.usage_batch_limit)
    async with session.begin():
        outcomes = await ingest_usage(session, runtime, items, now=runtime.clock.now())
    results = [UsageOutcomeRead.model_validate(o, from_attributes=True) for o in outcomes]
    count = {status: sum(1 for r in results if r.status == status) for status in ("accepted", "duplicate", "rejected")}
    return UsageBatchRead(results=results, **count)


@router.get(
    "/{event_id}",
    summary="The fate of a usage event: accepted (and whether counted yet) or rejected with the reason",
    response_model=UsageFateRead,
    responses={404: {"description": "The id was never received", **_PROBLEM}},
)
async def get_usage(event_id: str, session: Session, runtime: RuntimeDep, _caller: UsageProducer) -> UsageFateRead:
    fate = await usage_fate(session, runtime, event_id)
    if fate is None:
        raise UsageEventNotFound(event_id)
    row, counted = fate
    return UsageFateRead(
        event_id=row.event_id,
        status=row.status,  # type: ignore[arg-type]
        counted=counted,
        reason_code=row.reason_code,
        detail=row.detail,
        conflicting_duplicates=row.conflicts,
        subscription_id=row.subscription_id,
        sku=row.sku,
        quantity=row.quantity,
        received_at=row.received_at.isoformat(),
    )
