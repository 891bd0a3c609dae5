"""`Annotated` dependencies of the support routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bss.api.caller import CurrentCaller, Staff, require_roles
from bss.identity import Caller, Role
from support_sla.usecases.context import Context, context_of

Ctx = Annotated[Context, Depends(context_of)]
TicketCaller = Annotated[Caller, Depends(require_roles(Role.RESELLER, Role.SUPPORT_AGENT, Role.ADMIN))]

__all__ = ["Ctx", "CurrentCaller", "Staff", "TicketCaller"]
