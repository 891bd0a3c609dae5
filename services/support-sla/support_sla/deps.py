"""`Annotated` dependencies of the support routes, and the one helper that builds a use case's context."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends

from bss.api.backdating import resolve_instants
from bss.api.caller import CurrentCaller, Staff, require_roles
from bss.api.runtime import get_runtime
from bss.identity import Caller, Role
from bss.usecase import UseCase
from support_sla.runtime import SupportRuntime, SupportUseCase

RuntimeDep = Annotated[SupportRuntime, Depends(get_runtime)]
TicketCaller = Annotated[Caller, Depends(require_roles(Role.RESELLER, Role.SUPPORT_AGENT, Role.ADMIN))]


def use_case(runtime: SupportRuntime, caller: Caller, requested_at: datetime | None = None) -> SupportUseCase:
    """The context of a write the request asks for: at `requested_at` when an admin backdates it (anyone else
    giving it is refused: `bss.api.backdating.resolve_instants`), else now."""
    return UseCase(runtime, caller, resolve_instants(caller, requested_at, runtime.clock.now()))


__all__ = ["CurrentCaller", "RuntimeDep", "Staff", "TicketCaller", "use_case"]
