"""Admin endpoints of the Acronis usage import: the mapping table and the report upload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from billing.deps import Admin, AdminUseCase, RuntimeDep, UsageStoreDep, use_case
from billing.domain.acronis_report import ReportError, ValueField
from billing.errors import InvalidInput
from billing.usecases.acronis_import import import_report, save_mappings
from bss.api import examples
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
                        "acronis_tenant_id": examples.CUSTOMER_ID,
                        "reseller_id": examples.RESELLER_ID,
                        "subscription_id": examples.SUBSCRIPTION_ID,
                        "customer_id": examples.CUSTOMER_ID,
                    }
                ],
                "offering_items": [
                    {
                        "offering_item": "pw_base_storage",
                        "sku": "CSP-CLOUD-STORAGE-GB",
                        "value_field": "absolute_value",
                    },
                    {"offering_item": "pw_workstations", "sku": "CSP-WORKSTATIONS", "value_field": "value"},
                ],
            }
        },
    )

    tenants: list[TenantMapItem] = Field(default_factory=list)
    offering_items: list[OfferingMapItem] = Field(default_factory=list)


# January 2025's last two days of the example customer (its Acronis tenant is mapped by the mapping example).
_REPORT_EXAMPLE = (
    "date,tenant_id,tenant_name,offering_item,measurement_unit,value,absolute_value\n"
    f"2025-01-30,{examples.CUSTOMER_ID},Contoso Dental,pw_base_storage,bytes,1610612736000,1610612736000\n"
    f"2025-01-30,{examples.CUSTOMER_ID},Contoso Dental,pw_workstations,quantity,38,38\n"
    f"2025-01-31,{examples.CUSTOMER_ID},Contoso Dental,pw_base_storage,bytes,1717986918400,1717986918400\n"
    f"2025-01-31,{examples.CUSTOMER_ID},Contoso Dental,pw_workstations,quantity,40,40\n"
)


class MappingRead(BaseModel):
    tenants: int
    offering_items: int


class ImportRead(BaseModel):
    accepted: int = Field(description="Usage events accepted (stored; counted once each).")
    duplicate: int = Field(description="Events received before: the report (or those rows) was imported already.")
    rejected: list[dict[str, Any]] = Field(description="Each refused event's id and `reason_code`.")
    skipped: list[str] = Field(description="Rows no mapping covers (their tenant or offering item).")


@router.put("/mappings", summary="Add or change tenant and offering-item mappings", response_model=MappingRead)
async def put_mappings(body: MappingUpdate, ctx: AdminUseCase) -> MappingRead:
    """Maps Acronis usage reports onto billing: each Acronis tenant to a reseller, subscription and customer, and
    each offering item to a SKU and the column it reads (`absolute_value`, accumulated since the 1st, for `last`
    SKUs; `value` for `max` counts). A mapping given again replaces the one before (by tenant id, by offering
    item); mappings not named are kept. Answers how many of each were saved. Admins only (403 for others)."""
    await save_mappings(ctx, [t.model_dump() for t in body.tenants], [o.model_dump() for o in body.offering_items])
    return MappingRead(tenants=len(body.tenants), offering_items=len(body.offering_items))


@router.post(
    "/usage-reports",
    summary="Import an Acronis daily usage report (CSV body); re-importing changes nothing",
    response_model=ImportRead,
    responses={422: {"description": "The report cannot be read", **_PROBLEM}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": _REPORT_EXAMPLE}},
        }
    },
)
async def post_usage_report(request: Request, runtime: RuntimeDep, store: UsageStoreDep, caller: Admin) -> ImportRead:
    """Imports an Acronis daily usage report, the CSV itself as the body (UTF-8; columns `date`, `tenant_id`,
    `offering_item`, `measurement_unit`, `value`, `absolute_value`, optionally `tenant_name`). Each mapped row
    (`PUT /v1/acronis/mappings`) becomes one usage event measured at 23:59:59 UTC on its day, a value in bytes
    converted to binary GB, and goes through the same ingestion as `POST /v1/usage`; the event id is derived from
    the tenant, the offering item and the day, so importing a report again changes nothing (its events are
    duplicates). Rows without a mapping are skipped and listed; a `tenant_name` names the customer unless a name
    was set through the API. A report that cannot be read (not UTF-8, a missing column, a bad date or value) is
    refused whole with the line (422). Admins only (403 for others)."""
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
