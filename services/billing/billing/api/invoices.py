"""Invoices: list, read as JSON or CSV, issue, pay, void, credit notes; the admin month close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from billing.adapters.credit_note_documents import credit_note_csv, credit_note_pdf
from billing.adapters.e_invoice import EInvoiceUnavailable, credit_note_xml, invoice_xml, pdf_with_e_invoice
from billing.adapters.invoice_documents import invoice_csv
from billing.adapters.invoice_pdf import invoice_pdf
from billing.api import examples as own
from billing.deps import (
    Admin,
    AdminUseCase,
    BillingReader,
    RuntimeDep,
    UsageStoreDep,
    credit_note_for_reader,
    invoice_for_reader,
    use_case,
)
from billing.usecases import invoice_reads
from billing.usecases.invoice_lifecycle import credit, issue, pay, void
from billing.usecases.invoice_reads import CreditNote, CreditNoteWithInvoice, Invoice
from billing.usecases.month_close import close_month
from bss.api import examples
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
# The ids in the path are declared here, with the examples of `api/examples.py` (deps, a room below the api,
# cannot import them), and loaded (or 404) by the dependencies of deps.py.
InvoiceId = Annotated[
    str, Path(description="The invoice id (`GET /v1/invoices` lists them).", examples=[own.INVOICE_ID])
]
VoidedInvoiceId = Annotated[
    str, Path(description="The invoice id (`GET /v1/invoices` lists them).", examples=[own.VOIDED_INVOICE_ID])
]
CreditNoteId = Annotated[
    str, Path(description="The credit note id, as its creation answered.", max_length=36, examples=[own.CREDIT_NOTE_ID])
]


async def _readable_invoice(invoice_id: InvoiceId, runtime: RuntimeDep, caller: BillingReader) -> Invoice:
    return await invoice_for_reader(invoice_id, runtime, caller)


async def _readable_credit_note(
    credit_note_id: CreditNoteId, runtime: RuntimeDep, caller: BillingReader
) -> CreditNoteWithInvoice:
    return await credit_note_for_reader(credit_note_id, runtime, caller)


ReadableInvoice = Annotated[Invoice, Depends(_readable_invoice)]
ReadableCreditNote = Annotated[CreditNoteWithInvoice, Depends(_readable_credit_note)]


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
    model_config = ConfigDict(extra="forbid")

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


_CLOSE_EXAMPLES: dict[str, Any] = {
    "drafts": {
        "summary": "Close January 2025 as drafts, to review and issue one by one",
        "value": {"period": "2025-01-01", "issue": False},
    },
    "backdated": {
        "summary": "Close February 2025 as of 2 a.m. on 1 March 2025, issuing the invoices then",
        "value": {"period": "2025-02-01", "requested_at": "2025-03-01T02:00:00Z"},
    },
}


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
        "have ended by the real time too). Without it the close runs now.\n\n"
        "`issue: false` leaves the invoices as drafts, without numbers, to be issued one by one. The answer counts "
        "the invoices made, the subscriptions skipped (already invoiced for the month) and those that failed "
        "(e.g. a missing FX rate: the next close tries again), for `period` and each earlier month closed first. "
        "Admins only (403 for others)."
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
    body: Annotated[MonthCloseCreate, Body(openapi_examples=_CLOSE_EXAMPLES)],
    runtime: RuntimeDep,
    caller: Admin,
    store: UsageStoreDep,
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
    reseller_id: Annotated[
        Uuid | None, Query(description="Only this reseller's invoices.", examples=[examples.RESELLER_ID])
    ] = None,
    period: Annotated[date | None, Query(description="Only the invoices of this month (its 1st).")] = None,
    cursor: Annotated[str | None, Query(description="The `next_cursor` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[InvoiceRead]:
    """Invoices of every status (draft, issued, paid, void), newest period first, optionally of one reseller
    and one month; `next_cursor` leads to the next page. Each is shown as JSON (the `InvoiceIssued` shape in
    `document`) with its total and what credit notes have credited so far. A reseller sees only its own
    (naming another reseller is a 404); admins and support agents see all. Other roles are refused (403)."""
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
    """The invoice as CSV: one row per line, then closing `subtotal`, `tax` and `total` rows, all with the same
    columns, the currencies and the FX rate on every row. A reseller reads its own (another reseller's is a 404,
    as is an id that does not exist); admins and support agents read any. Other roles are refused (403)."""
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
    """The invoice as a PDF stating what the EU VAT directive asks (seller and buyer, number, dates and terms,
    the service period, each line with its quantity and unit price, the commitment fee explained, tax with its
    legal note, totals, how to pay), figures and dates in the buyer's locale. An issued invoice embeds its EN
    16931 e-invoice (`factur-x.xml`, as `GET /v1/invoices/{id}.xml` answers it); a draft, or an invoice issued
    before the seller was set, comes without one. A reseller reads its own (another reseller's is a 404, as is
    an id that does not exist); admins and support agents read any. Other roles are refused (403)."""
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
    """The invoice as an EN 16931 e-invoice: the UN/CEFACT Cross Industry Invoice of the Factur-X / ZUGFeRD EN
    16931 profile, the same the PDF embeds. A draft, or an invoice issued before the distributor's seller data
    existed (the `seller` setting), has none: 409 saying why. A reseller reads its own (another reseller's is a
    404, as is an id that does not exist); admins and support agents read any. Other roles are refused (403)."""
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
    """One invoice: its status, number (none while a draft), subscription, reseller, month, currency, total and
    what credit notes have credited, and in `document` the whole invoice in the `InvoiceIssued` shape (the tier
    as named that month, the commitment, the lines, the FX rates used, tax and totals, seller and buyer). A
    reseller reads its own (another reseller's is a 404, as is an id that does not exist); admins and support
    agents read any. Other roles are refused (403)."""
    return _read(invoice)


_LIFECYCLE: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such invoice", **_PROBLEM},
    409: {"description": "Wrong status", **_PROBLEM},
}


@router.post(
    "/invoices/{invoice_id}/issue", summary="Issue a draft invoice", response_model=InvoiceRead, responses=_LIFECYCLE
)
async def post_issue(invoice_id: InvoiceId, ctx: AdminUseCase) -> InvoiceRead:
    """Issues a draft invoice (a month close with `issue: false` leaves drafts): it gets the next number of its
    year's gapless sequence (`INV-<year>-<6 digits>`, by its invoice date), `InvoiceIssued` is published, and it
    never changes again. 409 for an invoice that is not a draft, 404 for an id that does not exist. Admins only
    (403 for others)."""
    return _read(await issue(ctx, invoice_id))


@router.post(
    "/invoices/{invoice_id}/pay",
    summary="Record an issued invoice as paid",
    response_model=InvoiceRead,
    responses=_LIFECYCLE,
)
async def post_pay(invoice_id: InvoiceId, ctx: AdminUseCase) -> InvoiceRead:
    """Records an issued invoice as paid. Credit notes may still be issued against it. 409 for an invoice that is
    not issued (a draft, paid already, void), 404 for an id that does not exist. Admins only (403 for others)."""
    return _read(await pay(ctx, invoice_id))


class VoidCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"reason": "Paid invoices are corrected with a credit note."}}
    )

    reason: Text


@router.post(
    "/invoices/{invoice_id}/void", summary="Void an issued invoice", response_model=InvoiceRead, responses=_LIFECYCLE
)
async def post_void(invoice_id: VoidedInvoiceId, body: VoidCreate, ctx: AdminUseCase) -> InvoiceRead:
    """Voids an issued invoice as a whole, with the reason, and publishes `InvoiceVoided`: its number stays used
    and it no longer counts in the distributor's margins. Only an issued invoice can be voided: a paid one is
    corrected with a credit note, and a draft or a void invoice is refused too (409); 404 for an id that does not
    exist. Admins only (403 for others)."""
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
                "lines": [
                    {
                        "description": "Virtual machines: 2 test machines counted in January 2025",
                        "amount": "21.90",
                        "sku": "CSP-VMS",
                    }
                ],
                "reason": "Two test machines of the customer were counted as protected workloads.",
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
    invoice_id: InvoiceId,
    body: CreditNoteCreate,
    ctx: AdminUseCase,
    idempotency_key: IdempotencyKey = None,
) -> CreditNoteRead:
    """Corrects an issued (or paid) invoice with a credit note: its lines are positive amounts before tax in the
    invoice currency (at most its minor unit's decimals), tax is computed on their sum at the invoice's tax rate,
    and the total may not exceed the invoice's open amount (its total less earlier credit notes): 422 otherwise.
    The credit note gets the next number of its own gapless per-year sequence (`CN-<year>-<6 digits>`) and
    `CreditNoteIssued` is published. With an `Idempotency-Key`, a retry with the same key and body answers the
    first credit note again. 409 for a draft or a void invoice, 404 for an id that does not exist. Admins only
    (403 for others)."""
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
    """The credit note as a PDF on the invoice's page layout (seller, buyer, the invoice it corrects, its lines,
    tax at the invoice's rate, totals), embedding its EN 16931 e-invoice when the invoice has one. A reseller
    reads its own (another reseller's is a 404, as is an id that does not exist); admins and support agents read
    any. Other roles are refused (403)."""
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
    """The credit note as CSV: one row per line, then `subtotal`, `tax` and `total` rows, with the invoice it
    corrects on every row. A reseller reads its own (another reseller's is a 404, as is an id that does not
    exist); admins and support agents read any. Other roles are refused (403)."""
    return Response(credit_note_csv(found.credit_note.document, found.invoice.document), media_type="text/csv")


@router.get(
    "/credit-notes/{credit_note_id}.xml",
    summary="One credit note as an EN 16931 e-invoice (CII XML, type 381, referencing its invoice)",
    response_class=Response,
    responses={**_XML, 404: {"description": "No such credit note", **_PROBLEM}},
)
async def get_credit_note_xml(found: ReadableCreditNote) -> Response:
    """The credit note as an EN 16931 e-invoice (Cross Industry Invoice, type 381), referencing the invoice it
    corrects by number and date. 409 when its invoice has no e-invoice (issued before the distributor's seller
    data existed). A reseller reads its own (another reseller's is a 404, as is an id that does not exist);
    admins and support agents read any. Other roles are refused (403)."""
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
    """One credit note: its number, the invoice it corrects, its total, and in `document` the whole credit note
    in the `CreditNoteIssued` shape (lines, subtotal, tax, total, reason). A reseller reads its own (another
    reseller's is a 404, as is an id that does not exist); admins and support agents read any. Other roles are
    refused (403)."""
    note = found.credit_note
    return CreditNoteRead(
        credit_note_id=note.credit_note_id,
        number=note.number,
        invoice_id=note.invoice_id,
        total=_money(note.total, note.currency),
        document=note.document,
    )
