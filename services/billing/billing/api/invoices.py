"""Invoices: list, read as JSON or CSV, issue, pay, void, credit notes; the admin month close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from billing.adapters.credit_note_documents import credit_note_csv, credit_note_pdf
from billing.adapters.e_invoice import EInvoiceUnavailable, credit_note_xml, invoice_xml, pdf_with_e_invoice
from billing.adapters.invoice_documents import invoice_csv
from billing.adapters.invoice_pdf import invoice_pdf
from billing.deps import (
    Admin,
    AdminUseCase,
    BillingReader,
    ReadableCreditNote,
    ReadableInvoice,
    RuntimeDep,
    UsageStoreDep,
    use_case,
)
from billing.usecases import invoice_reads
from billing.usecases.invoice_lifecycle import credit, issue, pay, void
from billing.usecases.invoice_reads import CreditNote, Invoice
from billing.usecases.month_close import close_month
from bss.api.caller import tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.input_text import SingleLine, Sku, Text
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from bss.events.contracts.value_types import Name, Uuid, decimal_text
from bss.money import round_money
from bss.problems import Conflict

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


def _read(invoice: Invoice) -> InvoiceRead:
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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"period": "2024-03-01"}, {"period": "2024-03-01", "requested_at": "2024-04-01T02:00:00Z"}]
        },
    )

    period: date = Field(description="The 1st of the month to close; the month must have ended.")
    issue: bool = Field(default=True, description="Issue the invoices at once (else they stay drafts).")
    requested_at: AwareDatetime | None = Field(
        default=None,
        description="Admin backdating (RFC 3339, with a UTC offset): close as of this earlier instant. The month "
        "must have ended by then; the invoices are issued at it, and created at the real time.",
    )


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
    description=(
        "Invoices every billable subscription for `period`, after closing any earlier month a subscription still "
        "has open (months close in order). Only a month that has ended can be closed.\n\n"
        "`requested_at` (admins only, like every backdated operation of the suite) runs the close as of that "
        "instant, as an import of a past close would: the month must have ended by then, and the invoices are "
        "issued at it (`issued_at`) while their creation keeps the real time. It must carry a UTC offset (422 "
        "without one) and may not be in the future (422 beyond a 5-minute clock skew; within it, the month must "
        "have ended by the real time too). Without it the close runs now."
    ),
    response_model=MonthCloseRead,
    responses={
        422: {
            "description": "Not a 1st, a month that has not ended (by `requested_at` when given), or a "
            "`requested_at` without a UTC offset or in the future",
            **_PROBLEM,
        }
    },
)
async def post_month_close(
    body: MonthCloseCreate, runtime: RuntimeDep, caller: Admin, store: UsageStoreDep
) -> MonthCloseRead:
    ctx = use_case(runtime, caller, body.requested_at)
    summary = await close_month(ctx, store, body.period, issue=body.issue)
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
    runtime: RuntimeDep,
    caller: BillingReader,
    reseller_id: Annotated[Uuid | None, Query()] = None,
    period: Annotated[date | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[InvoiceRead]:
    scope = tenant_scope(caller, reseller_id)
    last = decode_cursor(cursor)
    after = None if last is None else (date.fromisoformat(str(last[0])), str(last[1]))
    page = await invoice_reads.list_invoices(runtime, reseller_id=scope, period=period, after=after, limit=limit)
    invoices = page.invoices
    next_cursor = encode_cursor([invoices[-1].period.isoformat(), invoices[-1].invoice_id]) if page.more else None
    return Page[InvoiceRead](items=[_read(invoice) for invoice in invoices], next_cursor=next_cursor)


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
async def get_invoice_pdf(invoice: ReadableInvoice, runtime: RuntimeDep) -> Response:
    document = invoice.document
    body = invoice_pdf(document, await invoice_reads.reseller_legal_name(runtime, invoice.reseller_id))
    try:
        xml = invoice_xml(document)
    except EInvoiceUnavailable:  # a draft, or issued before the seller was set: the PDF alone
        return Response(body, media_type="application/pdf")
    seller = document["seller"]["legal_name"]
    embedded = pdf_with_e_invoice(body, xml, title=f"Invoice {document['invoice_number']}", author=seller)
    return Response(embedded, media_type="application/pdf")


_XML: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The EN 16931 e-invoice: UN/CEFACT Cross Industry Invoice, Factur-X / ZUGFeRD EN 16931 profile",
        "content": {"application/xml": {"schema": {"type": "string"}}},
    },
    409: {"description": "A draft, or issued before the distributor's seller data was set", **_PROBLEM},
}


@router.get(
    "/invoices/{invoice_id}.xml",
    summary="One invoice as an EN 16931 e-invoice (CII XML; the PDF embeds the same as Factur-X)",
    response_class=Response,
    responses={**_XML, 404: {"description": "No such invoice", **_PROBLEM}},
)
async def get_invoice_xml(invoice: ReadableInvoice) -> Response:
    try:
        return Response(invoice_xml(invoice.document), media_type="application/xml")
    except EInvoiceUnavailable as exc:
        raise Conflict(f"No e-invoice for this invoice: {exc}.") from exc


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
async def post_issue(invoice_id: str, ctx: AdminUseCase) -> InvoiceRead:
    return _read(await issue(ctx, invoice_id))


@router.post(
    "/invoices/{invoice_id}/pay",
    summary="Record an issued invoice as paid",
    response_model=InvoiceRead,
    responses=_LIFECYCLE,
)
async def post_pay(invoice_id: str, ctx: AdminUseCase) -> InvoiceRead:
    return _read(await pay(ctx, invoice_id))


class VoidCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"reason": "Issued to the wrong entity."}})

    reason: Text


@router.post(
    "/invoices/{invoice_id}/void", summary="Void an issued invoice", response_model=InvoiceRead, responses=_LIFECYCLE
)
async def post_void(invoice_id: str, body: VoidCreate, ctx: AdminUseCase) -> InvoiceRead:
    return _read(await void(ctx, invoice_id, body.reason))


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
    ctx: AdminUseCase,
    idempotency_key: IdempotencyKey = None,
) -> CreditNoteRead:
    route, sent = f"credit-notes:{invoice_id}", body.model_dump(mode="json")
    request = IdempotentRequest.of(idempotency_key, caller=ctx.caller.subject, route=route, body=sent)

    def answer(note: CreditNote) -> dict[str, Any]:
        read = CreditNoteRead(
            credit_note_id=note.credit_note_id,
            number=note.number,
            invoice_id=invoice_id,
            total=_money(note.total, note.currency),
            document=note.document,
        )
        return read.model_dump(mode="json")

    lines = [line.model_dump() for line in body.lines]
    stored = await credit(ctx, invoice_id, lines, body.reason, request=request, answer=answer)
    return CreditNoteRead.model_validate(stored)


@router.get(
    "/credit-notes/{credit_note_id}.pdf",
    summary="One credit note as PDF (with its EN 16931 e-invoice embedded when it has one)",
    response_class=Response,
    responses={
        200: {
            "description": "The credit note as PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        404: {"description": "No such credit note", **_PROBLEM},
    },
)
async def get_credit_note_pdf(found: ReadableCreditNote, runtime: RuntimeDep) -> Response:
    note, invoice = found.credit_note.document, found.invoice.document
    legal_name = await invoice_reads.reseller_legal_name(runtime, found.invoice.reseller_id)
    body = credit_note_pdf(note, invoice, legal_name)
    try:
        xml = credit_note_xml(note, invoice)
    except EInvoiceUnavailable:
        return Response(body, media_type="application/pdf")
    seller = invoice["seller"]["legal_name"]
    title = f"Credit note {note['credit_note_number']}"
    return Response(pdf_with_e_invoice(body, xml, title=title, author=seller), media_type="application/pdf")


@router.get(
    "/credit-notes/{credit_note_id}.csv",
    summary="One credit note's lines as CSV",
    response_class=Response,
    responses={
        200: {"description": "The credit note lines as CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"description": "No such credit note", **_PROBLEM},
    },
)
async def get_credit_note_csv(found: ReadableCreditNote) -> Response:
    return Response(credit_note_csv(found.credit_note.document, found.invoice.document), media_type="text/csv")


@router.get(
    "/credit-notes/{credit_note_id}.xml",
    summary="One credit note as an EN 16931 e-invoice (CII XML, type 381, referencing its invoice)",
    response_class=Response,
    responses={**_XML, 404: {"description": "No such credit note", **_PROBLEM}},
)
async def get_credit_note_xml(found: ReadableCreditNote) -> Response:
    try:
        xml = credit_note_xml(found.credit_note.document, found.invoice.document)
    except EInvoiceUnavailable as exc:
        raise Conflict(f"No e-invoice for this credit note: {exc}.") from exc
    return Response(xml, media_type="application/xml")


@router.get(
    "/credit-notes/{credit_note_id}",
    summary="One credit note as JSON (the CreditNoteIssued shape)",
    response_model=CreditNoteRead,
    responses={404: {"description": "No such credit note", **_PROBLEM}},
)
async def get_credit_note(found: ReadableCreditNote) -> CreditNoteRead:
    note = found.credit_note
    return CreditNoteRead(
        credit_note_id=note.credit_note_id,
        number=note.number,
        invoice_id=note.invoice_id,
        total=_money(note.total, note.currency),
        document=note.document,
    )
