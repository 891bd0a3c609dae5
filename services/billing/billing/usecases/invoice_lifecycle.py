"""The invoice lifecycle: draft -> issued (gapless per-year number) -> paid / void; credit notes.

Numbers come from a counter row updated in the issuing transaction: a rolled-back issue returns its number,
so the sequence has no gaps, and concurrent issuers queue on the row lock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.invoice_math import tax_amount
from billing.errors import InvalidInput, InvalidTransition, InvoiceNotFound
from billing.models import CreditNoteRow, InvoiceRow, NumberSequenceRow, messaging
from billing.runtime import BillingRuntime
from bss.api.idempotency import IdempotencyStore, IdempotentRequest, StoredAnswer
from bss.db import insert_for
from bss.events.contracts.billing import CreditNoteIssuedV1, InvoiceIssuedV1, InvoiceVoidedV1
from bss.events.envelope import make_event
from bss.money import round_money

_IDEMPOTENCY = IdempotencyStore(messaging)


async def next_number(session: AsyncSession, name: str, year: int) -> str:
    """The next number of a per-year sequence, e.g. INV-2024-000001 (gapless: see the module docstring)."""
    return (await next_numbers(session, name, year, 1))[0]


async def next_numbers(session: AsyncSession, name: str, year: int, count: int) -> list[str]:
    """`count` consecutive numbers of a per-year sequence, taken with one counter update."""
    await session.execute(
        insert_for(session)(NumberSequenceRow)
        .values(name=name, year=year, last_value=0)
        .on_conflict_do_nothing(index_elements=["name", "year"])
    )
    result = await session.execute(
        update(NumberSequenceRow)
        .where(NumberSequenceRow.name == name, NumberSequenceRow.year == year)
        .values(last_value=NumberSequenceRow.last_value + count)
        .returning(NumberSequenceRow.last_value)
    )
    last = int(result.scalar_one())
    return [f"{name}-{year}-{value:06d}" for value in range(last - count + 1, last + 1)]


async def issue_invoice(session: AsyncSession, runtime: BillingRuntime, invoice: InvoiceRow, *, now: datetime) -> None:
    """A draft becomes issued: it gets its number and `InvoiceIssued` is published; it never changes again."""
    await issue_invoices(session, runtime, [invoice], now=now)


async def issue_invoices(
    session: AsyncSession, runtime: BillingRuntime, invoices: list[InvoiceRow], *, now: datetime
) -> None:
    """Issue drafts together (a month close): numbers in order, one counter update per year, one outbox write."""
    for invoice in invoices:
        if invoice.status != "draft":
            raise InvalidTransition(invoice.status, "issued")
    envelopes = []
    for year in sorted({invoice.invoice_date.year for invoice in invoices}):
        of_year = [invoice for invoice in invoices if invoice.invoice_date.year == year]
        for invoice, number in zip(of_year, await next_numbers(session, "INV", year, len(of_year)), strict=True):
            document = dict(invoice.document, invoice_number=number)
            invoice.status, invoice.number, invoice.issued_at, invoice.document = "issued", number, now, document
            event = make_event(InvoiceIssuedV1.model_validate(document), source=runtime.outbox.source, time=now)
            envelopes.append((event, InvoiceIssuedV1.topic, event.subject))
    await session.flush()
    await runtime.outbox.add_envelopes(session, envelopes, now=now)


async def mark_paid(session: AsyncSession, invoice: InvoiceRow) -> None:
    if invoice.status != "issued":
        raise InvalidTransition(invoice.status, "paid")
    invoice.status = "paid"
    await session.flush()


async def void_invoice(
    session: AsyncSession, runtime: BillingRuntime, invoice: InvoiceRow, reason: str, *, now: datetime
) -> None:
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
        voided_at=now,
        reason=reason,
    )
    await runtime.outbox.add(session, event, now=now)


def open_amount(invoice: InvoiceRow) -> Decimal:
    """What is still owed on an invoice: its total less what credit notes gave back."""
    return invoice.total - invoice.credited


async def issue_credit_note(
    session: AsyncSession,
    runtime: BillingRuntime,
    invoice: InvoiceRow,
    lines: list[dict[str, Any]],
    reason: str,
    *,
    now: datetime,
) -> CreditNoteRow:
    """A credit note against an issued (or paid) invoice, with tax at the invoice's rate; never above the
    invoice's open amount (docs/domain.md: an issued invoice is corrected only by credit notes)."""
    if invoice.status not in ("issued", "paid"):
        raise InvalidTransition(invoice.status, "credited")
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
    await runtime.outbox.add(session, event, now=now)
    return note


async def load_invoice(session: AsyncSession, invoice_id: str, *, lock: bool = False) -> InvoiceRow | None:
    """The invoice, locked for the transaction if asked (FOR UPDATE on PostgreSQL; SQLAlchemy renders none on
    SQLite, whose one writer at a time needs none)."""
    query = select(InvoiceRow).where(InvoiceRow.invoice_id == invoice_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# The lifecycle's use cases: each loads the invoice locked, moves it on and commits, in one transaction.


async def _locked(session: AsyncSession, invoice_id: str) -> InvoiceRow:
    invoice = await load_invoice(session, invoice_id, lock=True)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    return invoice


async def issue(runtime: BillingRuntime, invoice_id: str, *, now: datetime) -> InvoiceRow:
    """`POST /v1/invoices/{id}/issue`: a draft gets its number and is published (`issue_invoice`)."""
    async with runtime.sessions() as session, session.begin():
        invoice = await _locked(session, invoice_id)
        await issue_invoice(session, runtime, invoice, now=now)
    return invoice


async def pay(runtime: BillingRuntime, invoice_id: str) -> InvoiceRow:
    """`POST /v1/invoices/{id}/pay`: an issued invoice is recorded as paid."""
    async with runtime.sessions() as session, session.begin():
        invoice = await _locked(session, invoice_id)
        await mark_paid(session, invoice)
    return invoice


async def void(runtime: BillingRuntime, invoice_id: str, reason: str, *, now: datetime) -> InvoiceRow:
    """`POST /v1/invoices/{id}/void`: an issued invoice is voided as a whole (`void_invoice`)."""
    async with runtime.sessions() as session, session.begin():
        invoice = await _locked(session, invoice_id)
        await void_invoice(session, runtime, invoice, reason, now=now)
    return invoice


async def credit(
    runtime: BillingRuntime,
    invoice_id: str,
    lines: list[dict[str, Any]],
    reason: str,
    *,
    now: datetime,
    request: IdempotentRequest | None,
    answer: Callable[[CreditNoteRow], dict[str, Any]],
) -> dict[str, Any]:
    """`POST /v1/invoices/{id}/credit-notes`: a credit note (`issue_credit_note`); returns `answer`'s JSON of it,
    remembered under the Idempotency-Key in the same transaction, so a retry gets the first answer again."""
    async with runtime.sessions() as session, session.begin():
        earlier = await _IDEMPOTENCY.find(session, request)
        if earlier is not None:  # a retry: the credit note exists, answer it again
            stored: dict[str, Any] = earlier.body
            return stored
        invoice = await _locked(session, invoice_id)
        body = answer(await issue_credit_note(session, runtime, invoice, lines, reason, now=now))
        await _IDEMPOTENCY.remember(session, request, StoredAnswer(201, body), now=now)
    return body
