"""The caller of a service request, as the gateway vouched for it (see `bss.identity`).

Routes declare who may call them with `require_roles(...)`; every query a reseller triggers is scoped with
`tenant_scope(caller, reseller_id)`, so a reseller can never reach another tenant's data, even when a
path id names it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from bss.identity import (
    IDENTITY_HEADER,
    SIGNATURE_HEADER,
    Caller,
    InvalidIdentity,
    Role,
    decode_identity,
    request_target,
)
from bss.problems import Forbidden, Unauthorized


async def get_caller(request: Request) -> Caller:
    """The verified caller, or 401 problem+json: the identity must be made for this service and this request.
    (`async` though it never waits: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.)"""
    value = request.headers.get(IDENTITY_HEADER)
    signature = request.headers.get(SIGNATURE_HEADER)
    if not value or not signature:
        raise Unauthorized("This service is reached through the gateway, which identifies the caller.")
    settings = request.app.state.runtime.settings
    scope = request.scope
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    try:
        return decode_identity(
            value,
            signature,
            settings.identity_secret.get_secret_value().encode(),
            audience=settings.service_name,
            method=request.method,
            target=request_target(raw_path, scope.get("query_string", b"")),
            now=time.time(),
        )
    except InvalidIdentity as exc:
        raise Unauthorized(f"The caller's identity was refused: {exc}.") from exc


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def require_roles(*roles: Role) -> Callable[[Caller], Coroutine[Any, Any, Caller]]:
    """A dependency that lets only `roles` through (403 problem+json for the others)."""
    allowed = frozenset(roles)

    async def dependency(caller: CurrentCaller) -> Caller:
        if caller.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise Forbidden(f"This operation is for {names}; you are {caller.role.value}.")
        return caller

    return dependency


Staff = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.SUPPORT_AGENT))]
Admin = Annotated[Caller, Depends(require_roles(Role.ADMIN))]


def tenant_scope(caller: Caller, reseller_id: str | None) -> str | None:
    """The reseller id a query must be limited to: the caller's own tenant for a reseller, else `reseller_id`.

    A reseller naming another tenant gets 404 (not 403), so ids of other tenants cannot be probed.
    """
    if caller.role is Role.RESELLER:
        if reseller_id is not None and reseller_id != caller.tenant_id:
            from bss.problems import NotFound

            raise NotFound("No such resource for your account.")
        return caller.tenant_id
    return reseller_id
