"""`Annotated` dependencies of the billing API: the runtime, the usage store, callers, the use-case context of a
call, and "load or 404" for ids."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from billing.adapters.usage_store import UsageStore
from billing.errors import InvoiceNotFound
from billing.runtime import BillingRuntime, BillingUseCase
from billing.usecases.invoice_reads import CreditNoteWithInvoice, Invoice, find_credit_note, find_invoice
from bss.api.backdating import resolve_instants
from bss.api.caller import require_roles, tenant_scope
from bss.api.runtime import get_runtime
from bss.identity import Caller, Role
from bss.problems import NotFound
from bss.usecase import UseCase

RuntimeDep = Annotated[BillingRuntime, Depends(get_runtime)]
UsageProducer = Annotated[Caller, Depends(require_roles(Role.SYSTEM, Role.ADMIN))]
BillingReader = Annotated[Caller, Depends(require_roles(Role.ADMIN, Role.SUPPORT_AGENT, Role.RESELLER))]
Admin = Annotated[Caller, Depends(require_roles(Role.ADMIN))]


def use_case(runtime: BillingRuntime, caller: Caller, requested_at: datetime | None = None) -> BillingUseCase:
    """The context of a write use case: who calls, and at which instants: at `requested_at` when an admin
    backdates it (the month close; anyone else giving it is refused: `bss.api.backdating.resolve_instants`),
    else now. Routes that read their body themselves build it after reading."""
    return UseCase(runtime, caller, resolve_instants(caller, requested_at, runtime.clock.now()))


def _admin_use_case(runtime: RuntimeDep, caller: Admin) -> BillingUseCase:
    return use_case(runtime, caller)


AdminUseCase = Annotated[BillingUseCase, Depends(_admin_use_case)]
"""An admin's call (403 for the others), as a use-case context."""


def get_usage_store(request: Request) -> UsageStore:
    """The usage store `create_app` chose for the database at start."""
    store: UsageStore = request.app.state.usage_store
    return store


UsageStoreDep = Annotated[UsageStore, Depends(get_usage_store)]


async def invoice_for_reader(invoice_id: str, runtime: BillingRuntime, caller: Caller) -> Invoice:
    """The invoice, or 404 when there is none or it is another tenant's. The routes declare its path parameter
    (`api/invoices.py`, with the example the documentation shows) and load it with this."""
    invoice = await find_invoice(runtime, invoice_id)
    if invoice is None or tenant_scope(caller, invoice.reseller_id) != invoice.reseller_id:
        raise InvoiceNotFound(invoice_id)
    return invoice


async def credit_note_for_reader(credit_note_id: str, runtime: BillingRuntime, caller: Caller) -> CreditNoteWithInvoice:
    """The credit note and its invoice, or 404 when there is none or it is another tenant's (declared by the
    routes as `invoice_for_reader` is)."""
    found = await find_credit_note(runtime, credit_note_id)
    if found is None or tenant_scope(caller, found.invoice.reseller_id) != found.invoice.reseller_id:
        raise NotFound("No such credit note for your account.")
    return found
