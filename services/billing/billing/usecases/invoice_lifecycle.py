"""The invoice lifecycle: draft -> issued (gapless per-year number) -> paid / void; credit notes.

Each use case (`issue`, `pay`, `void`, `credit`) takes the call's context (`BillingUseCase`), loads the invoice
locked, moves it on and commits, in one transaction of its own. The steps they take (`issue_invoices`, ...)
run in the caller's transaction: the month close numbers and announces its new invoices with
`numbered_documents`, the step `issue_invoices` takes too. The numbers come from
`adapters/invoice_repository.py`: a counter row updated in the issuing transaction, so a rolled-back issue
returns its number and the sequence has no gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.invoice_repository import locked_invoice, next_number, next_numbers
from billing.domain.invoice_math import tax_amount
from billing.errors import InvalidInput, InvalidTransition
from billing.models import CreditNoteRow, InvoiceRow, messaging
from billing.runtime import BillingUseCase
from billing.usecases.invoice_reads import CreditNote, Invoice
from bss.api.idempotency import IdempotencyStore, IdempotentRequest, StoredAnswer
from bss.events.contracts.billing import CreditNoteIssuedV1, InvoiceIssuedV1, InvoiceVoidedV1
from bss.events.envelope import make_event
from bss.money import round_money

_IDEMPOTENCY = IdempotencyStore(messaging)


async def issue_invoice(session: AsyncSession, ctx: BillingUseCase, invoice: InvoiceRow) -> None:
    """A draft becomes issued: it gets its number and `InvoiceIssued` is published; it never changes again."""
    await issue_invoices(session, ctx, [invoice])


async def issue_invoices(session: AsyncSession, ctx: BillingUseCase, invoices: list[InvoiceRow]) -> None:
    """Issue drafts together: numbers in order, one counter update per year, one outbox write.
    They are issued at `ctx.effective` (a backdated month close's `requested_at`); the event is sent now."""
    for invoice in invoices:
        if invoice.status != "draft":
            raise InvalidTransition(invoice.status, "issued")
    documents = await numbered_documents(session, ctx, [(i.invoice_date, i.document) for i in invoices])
    for invoice, document in zip(invoices, documents, strict=True):
        invoice.status, invoice.number, invoice.document = "issued", document["invoice_number"], document
        invoice.issued_at = ctx.effective
    await session.flush()


async def numbered_documents(
    session: AsyncSession, ctx: BillingUseCase, drafts: Sequence[tuple[date, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The documents of drafts being issued, each with its gapless number (in the drafts' order within each
    invoice-date year, one counter update per year), and their `InvoiceIssued` events in the outbox. The month
    close issues its new invoices with it before it writes them; `issue_invoices` issues stored drafts."""
    now, outbox = ctx.now, ctx.runtime.outbox
    documents: list[dict[str, Any]] = [{} for _ in drafts]
    envelopes = []
    for year in sorted({invoice_date.year for invoice_date, _ in drafts}):
        of_year = [index for index, (invoice_date, _) in enumerate(drafts) if invoice_date.year == year]
        for index, number in zip(of_year, await next_numbers(session, "INV", year, len(of_year)), strict=True):
            document = documents[index] = dict(drafts[index][1], invoice_number=number)
            event = make_event(InvoiceIssuedV1.model_validate(document), source=outbox.source, time=now)
            envelopes.append((event, InvoiceIssuedV1.topic, event.subject))
    await outbox.add_envelopes(session, envelopes, now=now)
    return documents


async def mark_paid(session: AsyncSession, invoice: InvoiceRow) -> None:
    if invoice.status != "issued":
        raise InvalidTransition(invoice.status, "paid")
    invoice.status = "paid"
    await session.flush()


async def void_invoice(session: AsyncSession, ctx: BillingUseCase, invoice: InvoiceRow, reason: str) -> None:
    """An issued invoice is voided as a whole (`InvoiceVoided`); its number stays used."""
    if invoice.status != "issued":
        raise InvalidTransition(invoice.status, "voided")
    invoice.status = "void"
    await session.flush()
    assert invoice.number is not None
    event = InvoiceVoidedV1(
        invoice_id=invoice.invoice_id,
        invoice_number=invoice.number,
        reseller_id=invoice.reseller_id,
        subscription_id=invoice.subscription_id,
        voided_at=ctx.now,
        reason=reason,
    )
    await ctx.runtime.outbox.add(session, event, now=ctx.now)


def open_amount(invoice: InvoiceRow) -> Decimal:
    """What is still owed on an invoice: its total less what credit notes gave back."""
    return invoice.total - invoice.credited


async def issue_credit_note(
    session: AsyncSession, ctx: BillingUseCase, invoice: InvoiceRow, lines: list[dict[str, Any]], reason: str
) -> CreditNoteRow:
    """A credit note against an issued (or paid) invoice, with tax at the invoice's rate; never above the
    invoice's open amount (docs/domain.md: an issued invoice is corrected only by credit notes)."""
    if invoice.status not in ("issued", "paid"):
        raise InvalidTransition(invoice.status, "credited")
    now = ctx.now
    currency = invoice.currency
    for index, line in enumerate(lines):
        if round_money(line["amount"], currency) != line["amount"] or line["amount"] <= 0:
            raise InvalidInput(f"lines.{index}.amount", f"a positive amount with the minor unit of {currency}")
    subtotal = sum((line["amount"] for line in lines), Decimal(0))
    tax = tax_amount(subtotal, Decimal(invoice.document["tax_rate"]), currency)
    total = subtotal + tax
    if total > open_amount(invoice):
        raise InvalidInput("lines", f"credit {total} {currency} is above the open amount {open_amount(invoice)}")
    assert invoice.number is not None
    event = CreditNoteIssuedV1.model_validate(
        {
            "credit_note_id": str(uuid4()),
            "credit_note_number": await next_number(session, "CN", now.year),
            "invoice_id": invoice.invoice_id,
            "invoice_number": invoice.number,
            "reseller_id": invoice.reseller_id,
            "subscription_id": invoice.subscription_id,
            "issued_on": now.date(),
            "currency": currency,
            "lines": lines,
            "subtotal": subtotal,
            "tax": tax,
            "total": total,
            "reason": reason,
        }
    )
    note = CreditNoteRow(
        credit_note_id=event.credit_note_id,
        invoice_id=invoice.invoice_id,
        number=event.credit_note_number,
        currency=currency,
        total=total,
        document=event.model_dump(mode="json"),
        created_at=now,
    )
    session.add(note)
    invoice.credited = invoice.credited + total
    await session.flush()
    await ctx.runtime.outbox.add(session, event, now=now)
    return note


# The lifecycle's use cases: each loads the invoice locked, moves it on and commits, in one transaction.


async def issue(ctx: BillingUseCase, invoice_id: str) -> Invoice:
    """`POST /v1/invoices/{id}/issue`: a draft gets its number and is published (`issue_invoice`)."""
    async with ctx.transaction() as session:
        invoice = await locked_invoice(session, invoice_id)
        await issue_invoice(session, ctx, invoice)
    return Invoice.of(invoice)


async def pay(ctx: BillingUseCase, invoice_id: str) -> Invoice:
    """`POST /v1/invoices/{id}/pay`: an issued invoice is recorded as paid."""
    async with ctx.transaction() as session:
        invoice = await locked_invoice(session, invoice_id)
        await mark_paid(session, invoice)
    return Invoice.of(invoice)


async def void(ctx: BillingUseCase, invoice_id: str, reason: str) -> Invoice:
    """`POST /v1/invoices/{id}/void`: an issued invoice is voided as a whole (`void_invoice`)."""
    async with ctx.transaction() as session:
        invoice = await locked_invoice(session, invoice_id)
        await void_invoice(session, ctx, invoice, reason)
    return Invoice.of(invoice)


async def credit(
    ctx: BillingUseCase,
    invoice_id: str,
    lines: list[dict[str, Any]],
    reason: str,
    *,
    request: IdempotentRequest | None,
    answer: Callable[[CreditNote], dict[str, Any]],
) -> dict[str, Any]:
    """`POST /v1/invoices/{id}/credit-notes`: a credit note (`issue_credit_note`); returns `answer`'s JSON of it,
    remembered under the Idempotency-Key in the same transaction, so a retry gets the first answer again."""
    async with ctx.transaction() as session:
        earlier = await _IDEMPOTENCY.find(session, request)
        if earlier is not None:  # a retry: the credit note exists, answer it again
            stored: dict[str, Any] = earlier.body
            return stored
        invoice = await locked_invoice(session, invoice_id)
        body = answer(CreditNote.of(await issue_credit_note(session, ctx, invoice, lines, reason)))
        await _IDEMPOTENCY.remember(session, request, StoredAnswer(201, body), now=ctx.now)
    return body
