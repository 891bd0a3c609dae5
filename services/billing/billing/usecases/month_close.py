"""The month close: one invoice per billable subscription for a period, a chunk of subscriptions per transaction.

A chunk's subscriptions are locked, their invoices computed, numbered (gapless), written and announced
(`InvoiceIssued` in the outbox) in one transaction, with a few statements for the whole chunk (ADR 0018). A
subscription refused for a missing fact (`CannotInvoice`: a price, an FX rate) is reported in `failed` and
the rest of its chunk is invoiced. Any other failure rolls the chunk's transaction back whole, and its
subscriptions are closed again one per transaction: the one that fails alone is reported in `failed`, the
others are invoiced. On PostgreSQL two chunks run at once (`month_close_transactions`).

Re-running changes nothing: a subscription whose period is closed is skipped, and the unique
(subscription, period) constraint makes a concurrent close of the same subscription fail to insert a second
invoice (its transaction rolls back and the subscription is reported as already closed).

Months are closed in order for each subscription: closing P first closes any earlier billable month a
subscription still has open (say the scheduler was down, or the subscription was ordered backdated), since
a subscription's `closed_through` may never jump over a month nobody invoiced (its usage would become mere
adjustments and its commitment fee would never be charged). Those earlier closes are listed in `caught_up`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import structlog
from sqlalchemy import or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.invoice_documents import invoice_document
from billing.adapters.invoice_inputs import CannotInvoice, ReadCache, ResolvedInvoice, prefetch, resolve_invoice
from billing.adapters.invoice_repository import add_invoices, close_subscriptions
from billing.adapters.read_model import SubscriptionView, load_rate_tables, load_subscriptions
from billing.adapters.usage_store import UsageStore
from billing.domain.distributor_margin import invoice_margin
from billing.domain.invoice_math import InvoiceAmounts, compute_invoice
from billing.domain.subscription_timeline import PaidWindow, first_open_period, is_billable_period
from billing.errors import InvalidPeriod
from billing.models import InvoiceRow, SubscriptionRow
from billing.runtime import BillingUseCase
from billing.usecases.invoice_lifecycle import numbered_documents
from bss.calendar_months import next_period, period_end_instant, period_of, previous_period
from bss.db import concurrent_writers

log = structlog.get_logger("billing.usecases.month_close")
_REASON_LENGTH = 500


@dataclass
class CloseSummary:
    period: date
    invoiced: int = 0
    skipped: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    caught_up: list[CloseSummary] = field(default_factory=list)  # earlier months closed first


async def close_month(ctx: BillingUseCase, store: UsageStore, period: date, *, issue: bool = True) -> CloseSummary:
    """Invoice every billable subscription for `period` (a past calendar month) that has no invoice for it,
    after closing, month by month, any earlier month a subscription still has open. `store` reads the usage
    aggregates (the database's `UsageStore`). The close runs as of `ctx.effective` (an admin's `requested_at`
    when backdated): the month must have ended by then, and the invoices are issued at it; each is created
    (`created_at`, the audit) at `ctx.now`."""
    if period.day != 1:
        raise InvalidPeriod("period", "a billing period is named by the 1st of its month")
    # `requested_at` may run up to a clock skew ahead of now: a month that has not really ended is never closed.
    if period_end_instant(period) > min(ctx.effective, ctx.now):
        if ctx.effective < ctx.now:
            message = f"{period:%Y-%m} had not ended by requested_at {ctx.effective.isoformat()}"
        else:
            message = f"{period:%Y-%m} has not ended yet"
        raise InvalidPeriod("period", f"{message}; only past months can be closed")
    async with ctx.runtime.sessions() as session:
        month = await _first_open_month(session, period)
    caught_up = []
    while month < period:
        earlier = await _close_one_month(ctx, store, month, issue=issue)
        if earlier.invoiced or earlier.failed:
            caught_up.append(earlier)
        month = next_period(month)
    summary = await _close_one_month(ctx, store, period, issue=issue)
    summary.caught_up = caught_up
    return summary


async def _first_open_month(session: AsyncSession, period: date) -> date:
    """The earliest month before `period` that a subscription should have been invoiced for and was not."""
    query = select(
        SubscriptionRow.paid_from,
        SubscriptionRow.ends_at,
        SubscriptionRow.last_billed_period,
        SubscriptionRow.closed_through,
    ).where(
        SubscriptionRow.paid_from.is_not(None),
        SubscriptionRow.paid_from < period_end_instant(period),
        or_(SubscriptionRow.closed_through.is_(None), SubscriptionRow.closed_through < previous_period(period)),
    )
    first = period
    for paid_from, ends_at, last_billed, closed_through in await session.execute(query):
        month = first_open_period(PaidWindow(paid_from, ends_at, last_billed), closed_through, before=first)
        if month is not None:
            first = month
    return first


async def _close_one_month(ctx: BillingUseCase, store: UsageStore, period: date, *, issue: bool) -> CloseSummary:
    summary = CloseSummary(period)
    async with ctx.runtime.sessions() as session:
        candidates = await _candidates(session, period)
        cache = ReadCache(rate_tables=await load_rate_tables(session))
    size = ctx.settings.month_close_chunk
    chunks = [candidates[i : i + size] for i in range(0, len(candidates), size)]
    outcomes: list[list[_Batch]] = [[] for _ in chunks]
    pending = iter(range(len(chunks)))

    async def close_chunks() -> None:
        for index in pending:  # shared: each chunk is taken by one of the closers
            outcomes[index] = await _close_chunk(ctx, store, chunks[index], period, cache, issue=issue)

    await _all_or_none([close_chunks() for _ in range(_transactions_at_once(ctx))])
    for batch in (batch for outcome in outcomes for batch in outcome):
        summary.invoiced += batch.invoiced
        summary.skipped += batch.size - batch.invoiced - len(batch.failed)
        summary.failed.extend(batch.failed)
    return summary


def _transactions_at_once(ctx: BillingUseCase) -> int:
    """Chunks closed at once: while one transaction waits on the database, the next chunk's invoices are being
    computed. Their subscriptions are disjoint, and the number counter's row lock queues their numbering, so
    numbers stay gapless. SQLite writes one transaction at a time, so there it is one."""
    return concurrent_writers(ctx.runtime.engine, ctx.settings.month_close_transactions)


async def _all_or_none(closers: list[Coroutine[Any, Any, None]]) -> None:
    """Run the closers together; if one raises, the others are cancelled (their open transactions roll back)
    before its exception goes on."""
    tasks = [asyncio.ensure_future(closer) for closer in closers]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass(frozen=True, slots=True)
class _Batch:
    """What one committed transaction of the close did for `size` subscriptions."""

    size: int
    invoiced: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)


async def _close_chunk(
    ctx: BillingUseCase, store: UsageStore, chunk: list[str], period: date, cache: ReadCache, *, issue: bool
) -> list[_Batch]:
    """The chunk in one transaction; if that fails, nothing of it was written (it rolled back whole), and each
    of its subscriptions is closed again in a transaction of its own: the one that fails is reported in `failed`
    and the others are invoiced. Only a lost database connection stops the close."""
    try:
        return [await _close_together(ctx, store, chunk, period, cache, issue=issue)]
    except Exception as exc:
        if _connection_lost(exc):
            raise
        log.warning(
            "month close chunk failed; closing its subscriptions one at a time",
            period=str(period),
            subscriptions=len(chunk),
            error=_reason(exc),
        )
    return [await _close_alone(ctx, store, subscription_id, period, cache, issue=issue) for subscription_id in chunk]


async def _close_alone(
    ctx: BillingUseCase, store: UsageStore, subscription_id: str, period: date, cache: ReadCache, *, issue: bool
) -> _Batch:
    try:
        return await _close_together(ctx, store, [subscription_id], period, cache, issue=issue)
    except Exception as exc:
        if _connection_lost(exc):
            raise
        if isinstance(exc, IntegrityError) and await _invoiced(ctx, subscription_id, period):
            return _Batch(1)  # a concurrent close invoiced it first: skipped
        log.exception("subscription not invoiced", subscription_id=subscription_id, period=str(period))
        return _Batch(1, failed=[{"subscription_id": subscription_id, "reason": _reason(exc)}])


def _connection_lost(exc: Exception) -> bool:
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _reason(exc: Exception) -> str:
    detail = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return f"{type(detail).__name__}: {detail}"[:_REASON_LENGTH]


async def _invoiced(ctx: BillingUseCase, subscription_id: str, period: date) -> bool:
    query = select(InvoiceRow.invoice_id).where(
        InvoiceRow.subscription_id == subscription_id, InvoiceRow.period == period
    )
    async with ctx.runtime.sessions() as session:
        return (await session.execute(query)).first() is not None


async def _candidates(session: AsyncSession, period: date) -> list[str]:
    query = (
        select(SubscriptionRow.subscription_id)
        .where(
            SubscriptionRow.paid_from.is_not(None),
            SubscriptionRow.paid_from < period_end_instant(period),
            or_(SubscriptionRow.closed_through.is_(None), SubscriptionRow.closed_through < period),
        )
        .order_by(SubscriptionRow.subscription_id)
    )
    return list((await session.execute(query)).scalars())


async def _close_together(
    ctx: BillingUseCase, store: UsageStore, chunk: list[str], period: date, cache: ReadCache, *, issue: bool
) -> _Batch:
    """Invoice the chunk's open subscriptions in one transaction (their rows locked in id order): every invoice
    computed first, then numbered, written and announced (`InvoiceIssued` in the outbox) with a few statements."""
    async with ctx.transaction() as session:
        views = await load_subscriptions(session, chunk, lock=True)
        open_views = [views[s] for s in sorted(views) if _still_open(views[s], period)]
        invoices, failed = await _new_invoices(session, ctx, store, open_views, period, cache)
        if invoices:
            await _write(session, ctx, invoices, period, issue=issue)
    return _Batch(len(chunk), len(invoices), failed)


async def _new_invoices(
    session: AsyncSession,
    ctx: BillingUseCase,
    store: UsageStore,
    views: list[SubscriptionView],
    period: date,
    cache: ReadCache,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The draft invoices (their rows' values) of `views`, and the subscriptions refused (`CannotInvoice`)."""
    if not views:
        return [], []
    closed = [v.row.closed_through for v in views]
    rows = await prefetch(
        session,
        store,
        [v.row.subscription_id for v in views],
        {v.row.reseller_id for v in views},
        period,
        billed_after=None if None in closed else min(c for c in closed if c is not None),
    )
    invoices, failed = [], []
    for view in views:
        try:
            resolved = await resolve_invoice(
                session, ctx.settings, view, period, billed_after=view.row.closed_through, cache=cache, rows=rows
            )
        except CannotInvoice as exc:
            log.warning("subscription not invoiced", subscription_id=view.row.subscription_id, reason=str(exc))
            failed.append({"subscription_id": view.row.subscription_id, "reason": str(exc)})
            continue
        invoices.append(_new_invoice(view, period, resolved, compute_invoice(resolved.inputs), now=ctx.now))
    return invoices, failed


async def _write(
    session: AsyncSession, ctx: BillingUseCase, invoices: list[dict[str, Any]], period: date, *, issue: bool
) -> None:
    """Number and announce the invoices (when issued), write them, and mark their subscriptions closed."""
    if issue:
        documents = await numbered_documents(session, ctx, [(i["invoice_date"], i["document"]) for i in invoices])
        for invoice, document in zip(invoices, documents, strict=True):
            invoice.update(status="issued", number=document["invoice_number"], document=document)
            invoice["issued_at"] = ctx.effective
    await add_invoices(session, invoices)
    await close_subscriptions(session, [i["subscription_id"] for i in invoices], period)


def _still_open(view: SubscriptionView, period: date) -> bool:
    closed = view.row.closed_through
    return (closed is None or closed < period) and is_billable_period(view.window, period)


def _new_invoice(
    view: SubscriptionView, period: date, resolved: ResolvedInvoice, amounts: InvoiceAmounts, *, now: datetime
) -> dict[str, Any]:
    margin = invoice_margin(amounts.lines, amounts.currency, resolved.cost_factor)
    invoice_id = str(uuid4())
    return {
        "invoice_id": invoice_id,
        "subscription_id": view.row.subscription_id,
        "reseller_id": view.row.reseller_id,
        "period": period,
        "invoice_date": resolved.invoice_date,
        "status": "draft",
        "number": None,
        "currency": amounts.currency,
        "total": amounts.total,
        "credited": Decimal(0),
        "revenue": margin.revenue,
        "cost": margin.cost,
        "document": invoice_document(invoice_id, view, period, resolved, amounts),
        "created_at": now,
        "issued_at": None,
    }


def previous_month(now: datetime) -> date:
    """The period a close on `now` is for: the month before the current one."""
    return previous_period(period_of(now))
