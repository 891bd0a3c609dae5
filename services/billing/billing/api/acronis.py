"""Admin endpoints of the Acronis usage import: the mapping table and the report upload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from billing.deps import Admin, AdminUseCase, RuntimeDep, UsageStoreDep, use_case
from billing.domain.acronis_report import ReportError, ValueField
from billing.errors import InvalidInput
from billing.usecases.acronis_import import import_report, save_mappings
from bss.api.input_text import Name, Sku
from bss.api.json_body import JsonBodyRoute
from bss.events.contracts.value_types import Uuid

router = APIRouter(prefix="/v1/acronis", tags=["acronis import"], route_class=JsonBodyRoute)
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


class TenantMapItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acronis_tenant_id: Uuid
    reseller_id: Uuid
    subscription_id: Uuid
    customer_id: Uuid


class OfferingMapItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offering_item: Name
    sku: Sku
    value_field: ValueField = Field(
        description="'absolute_value' (accumulated since the 1st) for `last` SKUs, 'value' for `max` counts."
    )


class MappingUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "tenants": [
                    {
                        "acronis_tenant_id": "7c2e5a10-1111-4a7b-9a1e-000000000001",
                        "reseller_id": "0190c3a1-2001-7000-8000-000000000201",
                        "subscription_id": "0190c3a1-3001-7000-8000-000000000301",
                        "customer_id": "7c2e5a10-1111-4a7b-9a1e-000000000001",
                    }
                ],
                "offering_items": [
                    {
                        "offering_item": "pw_base_storage",
                        "sku": "SKU-BACKUP-STORAGE-GB",
                        "value_field": "absolute_value",
                    }
                ],
            }
        },
    )

    tenants: list[TenantMapItem] = Field(default_factory=list)
    offering_items: list[OfferingMapItem] = Field(default_factory=list)


class MappingRead(BaseModel):
    tenants: int
    offering_items: int


class ImportRead(BaseModel):
    accepted: int
    duplicate: int
    rejected: list[dict[str, Any]]
    skipped: list[str]


@router.put("/mappings", summary="Add or change tenant and offering-item mappings", response_model=MappingRead)
async def put_mappings(body: MappingUpdate, ctx: AdminUseCase) -> MappingRead:
    await save_mappings(ctx, [t.model_dump() for t in body.tenants], [o.model_dump() for o in body.offering_items])
    return MappingRead(tenants=len(body.tenants), offering_items=len(body.offering_items))


@router.post(
    "/usage-reports",
    summary="Import an Acronis daily usage report (CSV body); re-importing changes nothing",
    response_model=ImportRead,
    responses={422: {"description": "The report cannot be read", **_PROBLEM}},
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def post_usage_report(request: Request, runtime: RuntimeDep, store: UsageStoreDep, caller: Admin) -> ImportRead:
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:  # guessing would import a mangled tenant id or quantity
        raise InvalidInput("body", f"the report is not UTF-8 text: byte {exc.start} ({exc.reason})") from None
    try:
        summary = await import_report(use_case(runtime, caller), store, text)
    except ReportError as exc:
        raise InvalidInput("body", str(exc)) from exc
    return ImportRead(
        accepted=summary.accepted, duplicate=summary.duplicate, rejected=summary.rejected, skipped=summary.skipped
    )
