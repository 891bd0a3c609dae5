"""Invoices: list, read as JSON or CSV, issue, pay, void, credit notes; the admin month close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from billing.adapters.invoice_documents import invoice_csv
from billing.adapters.invoice_pdf import invoice_pdf
from billing.deps import Admin, BillingReader, ReadableInvoice, RuntimeDep, Session
from billing.models import CreditNoteRow, InvoiceRow, ResellerRow
from billing.usecases.invoice_lifecycle import credit, issue, pay, void
from billing.usecases.month_close import close_month
from bss.api.caller import tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.input_text import SingleLine, Sku, Text
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from bss.events.contracts.value_types import Name, Uuid, decimal_text
from bss.money import round_money

router = APIRouter(prefix="/v1", tags=["invoices"], route_class=JsonBodyRoute)
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


class InvoiceRead(BaseModel):
    invoice_id: str
    status: str
    number: str | None
    subscription_id: str
    reseller_id: str
    period: date
    currency: str
    total: str = Field(description="Payable, a decimal string in the invoice currency's minor unit.")
    credited: str = Field(description="Credited by credit notes so far, tax included.")
    document: dict[str, Any]


def _money(amount: Decimal, currency: str) -> str:
    return decimal_text(round_money(amount, currency))


def _read(invoice: InvoiceRow) -> InvoiceRead:
    return InvoiceRead(
        invoice_id=invoice.invoice_id,
        status=invoice.status,
        number=invoice.number,
        subscription_id=invoice.subscription_id,
        reseller_id=invoice.reseller_id,
        period=invoice.period,
        currency=invoice.currency,
        total=_money(invoice.total, invoice.currency),
        credited=_money(invoice.credited, invoice.currency),
        document=invoice.document,
    )


class MonthCloseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"period": "2024-03-01"}})

    period: date = Field(description="The 1st of the month to close; the month must have ended.")
    issue: bool = Field(default=True, description="Issue the invoices at once (else they stay drafts).")


class MonthClosedRead(BaseModel):
    period: date
    invoiced: int
    skipped: int
    failed: list[dict[str, str]]


class MonthCloseRead(MonthClosedRead):
    caught_up: list[MonthClosedRead] = Field(
        description="Earlier months some subscription still had open, closed first, in order (months are "
        "invoiced in sequence: none is ever skipped)."
    )


@router.post(
    "/month-closes",
    summary="Close a month: one invoice per billable subscription (re-running changes nothing)",
    response_model=MonthCloseRead,
    responses={422: {"description": "Not a 1st, or a month that has not ended", **_PROBLEM}},
)
async def post_month_close(body: MonthCloseCreate, runtime: RuntimeDep, _caller: Admin) -> MonthCloseRead:
    summary = await close_month(runtime, body.period, now=runtime.clock.now(), issue=body.issue)
    earlier = [
        MonthClosedRead(period=s.period, invoiced=s.invoiced, skipped=s.skipped, failed=s.failed)
        for s in summary.caught_up
    ]
    return MonthCloseRead(
        period=summary.period,
        invoiced=summary.invoiced,
        skipped=summary.skipped,
        failed=summary.failed,
        caught_up=earlier,
    )


@router.get(
    "/invoices",
    summary="Invoices, newest period first (a reseller sees its own); cursor-paginated",
    response_model=Page[InvoiceRead],
    responses={
        404: {"description": "reseller_id names another tenant (a reseller sees only its own)", **_PROBLEM},
        422: {"description": "A cursor this API did not issue", **_PROBLEM},
    },
)
async def list_invoices(
    session: Session,
    caller: BillingReader,
    reseller_id: Annotated[Uuid | None, Query()] = None,
    period: Annotated[date | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[InvoiceRead]:
    query = select(InvoiceRow).order_by(InvoiceRow.period.desc(), InvoiceRow.invoice_id).limit(limit + 1)
    scope = tenant_scope(caller, reseller_id)
    if scope is not None:
        query = query.where(InvoiceRow.reseller_id == scope)
    if period is not None:
        query = query.where(InvoiceRow.period == period)
    after = decode_cursor(cursor)
    if after is not None:
        last_period, last_id = date.fromisoformat(str(after[0])), str(after[1])
        query = query.where(
            (InvoiceRow.period < last_period) | ((InvoiceRow.period == last_period) & (InvoiceRow.invoice_id > last_id))
        )
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].period.isoformat(), rows[-1].invoice_id]) if more else None
    return Page[InvoiceRead](items=[_read(row) for row in rows], next_cursor=next_cursor)


@router.get(
    "/invoices/{invoice_id}.csv",
    summary="One invoice as CSV",
    response_class=Response,
    responses={
        200: {"description": "The invoice lines as CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"description": "No such invoice", **_PROBLEM},
    },
)
async def get_invoice_csv(invoice: ReadableInvoice) -> Response:
    return Response(invoice_csv(invoice.document), media_type="text/csv")


@router.get(
    "/invoices/{invoice_id}.pdf",
    summary="One invoice as PDF",
    response_class=Response,
    responses={
        200: {
            "description": "The invoice as PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: {"description": "No such invoice", **_PROBLEM},
    },
)
async def get_invoice_pdf(invoice: ReadableInvoice, session: Session) -> Response:
    reseller = await session.get(ResellerRow, invoice.reseller_id)
    body = invoice_pdf(invoice.document, reseller.legal_name if reseller else None)
    return Response(body, media_type="application/pdf")


@router.get(
    "/invoices/{invoice_id}",
    summary="One invoice as JSON (the InvoiceIssued shape)",
    response_model=InvoiceRead,
    responses={404: {"description": "No such invoice", **_PROBLEM}},
)
async def get_invoice(invoice: ReadableInvoice) -> InvoiceRead:
    return _read(invoice)


_LIFECYCLE: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such invoice", **_PROBLEM},
    409: {"description": "Wrong status", **_PROBLEM},
}


@router.post(
    "/invoices/{invoice_id}/issue", summary="Issue a draft invoice", response_model=InvoiceRead, responses=_LIFECYCLE
)
async def post_issue(invoice_id: str, runtime: RuntimeDep, _caller: Admin) -> InvoiceRead:
    return _read(await issue(runtime, invoice_id, now=runtime.clock.now()))


@router.post(
    "/invoices/{invoice_id}/pay",
    summary="Record an issued invoice as paid",
    response_model=InvoiceRead,
    responses=_LIFECYCLE,
)
async def post_pay(invoice_id: str, runtime: RuntimeDep, _caller: Admin) -> InvoiceRead:
    return _read(await pay(runtime, invoice_id))


class VoidCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"reason": "Issued to the wrong entity."}})

    reason: Text


@router.post(
    "/invoices/{invoice_id}/void", summary="Void an issued invoice", response_model=InvoiceRead, responses=_LIFECYCLE
)
async def post_void(invoice_id: str, body: VoidCreate, runtime: RuntimeDep, _caller: Admin) -> InvoiceRead:
    return _read(await void(runtime, invoice_id, body.reason, now=runtime.clock.now()))


class CreditLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: SingleLine = Field(
        min_length=1, max_length=4000, description="The credit line as the credit note prints it, on one line."
    )
    amount: Decimal = Field(gt=0, description="Amount credited before tax, in the invoice currency.")
    sku: Sku | None = None
    ticket_id: Uuid | None = None


class CreditNoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "lines": [{"description": "Workstations counted twice", "amount": "12.45"}],
                "reason": "Duplicate.",
            }
        },
    )

    lines: list[CreditLineCreate] = Field(min_length=1)
    reason: Text


class CreditNoteRead(BaseModel):
    credit_note_id: str
    number: Name
    invoice_id: str
    total: str
    document: dict[str, Any]


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    summary="Credit an issued invoice (never above its open amount)",
    response_model=CreditNoteRead,
    status_code=201,
    responses={**_LIFECYCLE, 422: {"description": "Above the open amount or bad amounts", **_PROBLEM}},
)
async def post_credit_note(
    invoice_id: str,
    body: CreditNoteCreate,
    runtime: RuntimeDep,
    caller: Admin,
    idempotency_key: IdempotencyKey = None,
) -> CreditNoteRead:
    request = IdempotentRequest.of(
        idempotency_key, caller=caller.subject, route=f"credit-notes:{invoice_id}", body=body.model_dump(mode="json")
    )

    def answer(note: CreditNoteRow) -> dict[str, Any]:
        read = CreditNoteRead(
            credit_note_id=note.credit_note_id,
            number=note.number,
            invoice_id=invoice_id,
            total=_money(note.total, note.currency),
            document=note.document,
        )
        return read.model_dump(mode="json")

    lines = [line.model_dump() for line in body.lines]
    now = runtime.clock.now()
    stored = await credit(runtime, invoice_id, lines, body.reason, now=now, request=request, answer=answer)
    return CreditNoteRead.model_validate(stored)
