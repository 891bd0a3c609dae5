"""`Annotated` dependencies of the support routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bss.api.caller import CurrentCaller, Staff, require_roles
from bss.identity import Caller, Role
from support_sla.usecases.context import Context


def context_of(request: Request) -> Context:
    """The app's use-case context (set up by the app's lifespan)."""
    context: Context = request.app.state.support_context
    return context


Ctx = Annotated[Context, Depends(context_of)]
TicketCaller = Annotated[Caller, Depends(require_roles(Role.RESELLER, Role.SUPPORT_AGENT, Role.ADMIN))]

__all__ = ["Ctx", "CurrentCaller", "Staff", "TicketCaller"]
