"""The customer registry's routes: a reseller (or an admin) names the reseller's customers by the id its usage
carries; the names show on its pages (docs/domain.md, "Customers")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from billing.deps import BillingReader, RuntimeDep, use_case
from billing.usecases import customers
from bss.api import examples
from bss.api.caller import require_roles, tenant_scope
from bss.api.input_text import SingleLine
from bss.api.json_body import JsonBodyRoute
from bss.events.contracts.value_types import Uuid
from bss.identity import Caller, Role
from bss.problems import PROBLEM_JSON

router = APIRouter(prefix="/v1", tags=["customers"], route_class=JsonBodyRoute)
ResellerId = Annotated[str, Path(description="The reseller.", max_length=36, examples=[examples.RESELLER_ID])]
CustomerWriter = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.RESELLER))]
_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


class CustomerName(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"name": "Contoso Dental Practice GmbH"}})

    name: SingleLine = Field(min_length=1, max_length=200, description="The customer's name, as its pages show it.")


class CustomerRead(BaseModel):
    customer_id: str
    name: str
    source: str = Field(description="api: set through this API; acronis: from an Acronis usage report.")
    updated_at: datetime


@router.put(
    "/resellers/{reseller_id}/customers/{customer_id}",
    summary="Name a customer (a reseller names its own; an API name is never replaced by a report's)",
    response_model=CustomerRead,
    responses={404: {"description": "Another tenant's reseller", **_PROBLEM}},
)
async def put_customer(
    reseller_id: ResellerId,
    customer_id: Annotated[
        Uuid,
        Path(
            description="The customer id its usage carries (its Acronis tenant id).",
            openapi_examples={"customer": {"summary": "The example customer", "value": examples.CUSTOMER_ID}},
        ),
    ],
    body: CustomerName,
    caller: CustomerWriter,
    runtime: RuntimeDep,
) -> CustomerRead:
    """Names one of the reseller's customers, by the customer id its usage events carry (its Acronis tenant id),
    so the consumption pages show the name. A name set here is the customer's until changed here again: an
    Acronis usage report's `tenant_name` never replaces it. A reseller names its own customers (another
    reseller's are a 404); admins name any. Other roles are refused (403)."""
    scope = tenant_scope(caller, reseller_id) or reseller_id
    named = await customers.name_customer(use_case(runtime, caller), scope, customer_id, body.name)
    return CustomerRead(
        customer_id=named.customer_id, name=named.name, source=named.source, updated_at=named.updated_at
    )


@router.get(
    "/resellers/{reseller_id}/customers",
    summary="A reseller's named customers",
    response_model=list[CustomerRead],
    responses={404: {"description": "Another tenant's reseller", **_PROBLEM}},
)
async def get_customers(reseller_id: ResellerId, caller: BillingReader, runtime: RuntimeDep) -> list[CustomerRead]:
    """The reseller's named customers: each with its name, where the name came from (`api`: set through this API;
    `acronis`: an Acronis usage report's `tenant_name`) and when it was last set. A reseller reads its own
    (another reseller's are a 404); admins and support agents read any. Other roles are refused (403)."""
    scope = tenant_scope(caller, reseller_id) or reseller_id
    return [
        CustomerRead(customer_id=c.customer_id, name=c.name, source=c.source, updated_at=c.updated_at)
        for c in await customers.list_customers(runtime, scope)
    ]
