"""`Annotated` dependencies of the billing API: the runtime, sessions, callers, and "load or 404" for ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from billing.errors import InvoiceNotFound
from billing.invoice_lifecycle import load_invoice
from billing.models import InvoiceRow
from bss.api.caller import require_roles, tenant_scope
from bss.identity import Caller, Role
from bss.service_app import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]
UsageProducer = Annotated[Caller, Depends(require_roles(Role.SYSTEM, Role.ADMIN))]
BillingReader = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.SUPPORT_AGENT, Role.RESELLER))]
Admin = Annotated[Caller, Depends(require_roles(Role.ADMIN))]


async def invoice_for_reader(
    invoice_id: Annotated[str, Path(description="The invoice id.")], session: Session, caller: BillingReader
) -> InvoiceRow:
    invoice = await load_invoice(session, invoice_id)
    if invoice is None or tenant_scope(caller, invoice.reseller_id) != invoice.reseller_id:
        raise InvoiceNotFound(invoice_id)
    return invoice


ReadableInvoice = Annotated[InvoiceRow, Depends(invoice_for_reader)]
