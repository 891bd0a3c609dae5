"""`Annotated` dependencies of the billing API: the runtime, sessions, the usage store, callers, and "load or 404"
for ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from billing.adapters.usage_store import UsageStore
from billing.errors import InvoiceNotFound
from billing.models import InvoiceRow
from billing.runtime import BillingRuntime
from billing.usecases.invoice_lifecycle import load_invoice
from bss.api.caller import require_roles, tenant_scope
from bss.api.runtime import Session as Session
from bss.api.runtime import get_runtime
from bss.identity import Caller, Role

RuntimeDep = Annotated[BillingRuntime, Depends(get_runtime)]
UsageProducer = Annotated[Caller, Depends(require_roles(Role.SYSTEM, Role.ADMIN))]
BillingReader = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.SUPPORT_AGENT, Role.RESELLER))]
Admin = Annotated[Caller, Depends(require_roles(Role.ADMIN))]


def get_usage_store(request: Request) -> UsageStore:
    """The usage store `create_app` chose for the database at start."""
    store: UsageStore = request.app.state.usage_store
    return store


UsageStoreDep = Annotated[UsageStore, Depends(get_usage_store)]


async def invoice_for_reader(
    invoice_id: Annotated[str, Path(description="The invoice id.")], session: Session, caller: BillingReader
) -> InvoiceRow:
    invoice = await load_invoice(session, invoice_id)
    if invoice is None or tenant_scope(caller, invoice.reseller_id) != invoice.reseller_id:
        raise InvoiceNotFound(invoice_id)
    return invoice


ReadableInvoice = Annotated[InvoiceRow, Depends(invoice_for_reader)]
