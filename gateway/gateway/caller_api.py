"""`/gateway/v1/me`: who the presented credential is (role and tenant), for pages that sign in with a key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from bss.api import examples
from bss.identity import Caller, Role
from gateway.admin_api import authenticated_caller

router = APIRouter(prefix="/gateway/v1", tags=["gateway: callers"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


class CallerRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"role": "reseller", "tenant_id": examples.RESELLER_ID, "subject": "key:0123456789ab"}]
        }
    )

    role: Role
    tenant_id: str | None = Field(description="The reseller a reseller credential is bound to; null for other roles")
    subject: str = Field(description="The key (`key:<key id>`) or token subject; never the secret")


@router.get(
    "/me",
    response_model=CallerRead,
    summary="Who the presented API key or bearer token is: role, tenant and subject",
    responses={401: {"description": "No or invalid credentials", **_PROBLEM}},
)
async def read_me(caller: Annotated[Caller, Depends(authenticated_caller)]) -> CallerRead:
    """Who the presented API key or bearer token is: its role, the reseller it is bound to (reseller credentials)
    and its subject, never the secret. The storefront pages sign in with it. Any valid credential may ask; 401
    without one, or with an unknown, expired or revoked one."""
    return CallerRead(role=caller.role, tenant_id=caller.tenant_id, subject=caller.subject)
