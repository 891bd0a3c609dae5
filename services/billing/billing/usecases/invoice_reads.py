"""Reading invoices: one by id, a page of them, the reseller name a PDF prints. Each read opens its own session
and returns plain values (`Invoice`, `CreditNote`), which the lifecycle's write use cases return too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from billing.adapters import invoice_repository
from billing.models import CreditNoteRow, InvoiceRow
from billing.runtime import BillingRuntime


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice as its readers see it (the `InvoiceIssued` shape is its `document`)."""

    invoice_id: str
    status: str
    number: str | None
    subscription_id: str
    reseller_id: str
    period: date
    currency: str
    total: Decimal
    credited: Decimal
    document: dict[str, Any]

    @classmethod
    def of(cls, row: InvoiceRow) -> Invoice:
        return cls(
            invoice_id=row.invoice_id,
            status=row.status,
            number=row.number,
            subscription_id=row.subscription_id,
            reseller_id=row.reseller_id,
            period=row.period,
            currency=row.currency,
            total=row.total,
            credited=row.credited,
            document=row.document,
        )


@dataclass(frozen=True, slots=True)
class CreditNote:
    """A credit note as issued (the `CreditNoteIssued` shape is its `document`)."""

    credit_note_id: str
    number: str
    invoice_id: str
    currency: str
    total: Decimal
    document: dict[str, Any]

    @classmethod
    def of(cls, row: CreditNoteRow) -> CreditNote:
        return cls(
            credit_note_id=row.credit_note_id,
            number=row.number,
            invoice_id=row.invoice_id,
            currency=row.currency,
            total=row.total,
            document=row.document,
        )


@dataclass(frozen=True, slots=True)
class InvoicePage:
    invoices: list[Invoice]
    more: bool  # invoices follow the last one


@dataclass(frozen=True, slots=True)
class CreditNoteWithInvoice:
    credit_note: CreditNote
    invoice: Invoice
    """The invoice it corrects: its parties, tax and numbers are the credit note's too."""


async def find_credit_note(runtime: BillingRuntime, credit_note_id: str) -> CreditNoteWithInvoice | None:
    """The credit note and the invoice it corrects, or None (the caller decides whether the reader may see it)."""
    async with runtime.sessions() as session:
        row = await invoice_repository.load_credit_note(session, credit_note_id)
        invoice = None if row is None else await invoice_repository.load_invoice(session, row.invoice_id)
        if row is None or invoice is None:
            return None
        return CreditNoteWithInvoice(CreditNote.of(row), Invoice.of(invoice))


async def find_invoice(runtime: BillingRuntime, invoice_id: str) -> Invoice | None:
    """The invoice, or None (the caller decides whether the reader may see it)."""
    async with runtime.sessions() as session:
        row = await invoice_repository.load_invoice(session, invoice_id)
        return None if row is None else Invoice.of(row)


async def list_invoices(
    runtime: BillingRuntime,
    *,
    reseller_id: str | None,
    period: date | None,
    after: tuple[date, str] | None,
    limit: int,
) -> InvoicePage:
    """Up to `limit` invoices, newest period first, after the (period, invoice id) of the previous page's last
    one; only `reseller_id`'s (the caller's tenant scope) and `period`'s, when given."""
    async with runtime.sessions() as session:
        rows = await invoice_repository.invoice_page(
            session, reseller_id=reseller_id, period=period, after=after, limit=limit + 1
        )
    return InvoicePage([Invoice.of(row) for row in rows[:limit]], more=len(rows) > limit)


async def reseller_legal_name(runtime: BillingRuntime, reseller_id: str) -> str | None:
    """The name an invoice PDF prints for its reseller (None: the reseller is not known to billing)."""
    async with runtime.sessions() as session:
        return await invoice_repository.reseller_legal_name(session, reseller_id)
