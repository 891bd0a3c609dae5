"""The month close: one invoice per billable subscription for a period, each in its own transaction.

Re-running changes nothing: a subscription whose period is closed is skipped, and the unique
(subscription, period) constraint makes a concurrent close of the same subscription fail to insert a second
invoice (its transaction rolls back and the subscription is reported as already closed).

Months are closed in order for each subscription: closing P first closes any earlier billable month a
subscription still has open (say the scheduler was down, or the subscription was ordered backdated), since
a subscription's `closed_through` may never jump over a month nobody invoiced (its usage would become mere
adjustments and its commitment fee would never be charged). Those earlier closes are listed in `caught_up`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import uuid4

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.invoice_documents import invoice_document
from billing.adapters.invoice_inputs import CannotInvoice, ReadCache, ResolvedInvoice, prefetch, resolve_invoice
from billing.adapters.read_model import SubscriptionView, load_rate_tables, load_subscriptions
from billing.adapters.usage_store import UsageStore
from billing.domain.distributor_margin import invoice_margin
from billing.domain.invoice_math import InvoiceAmounts, compute_invoice
from billing.domain.subscription_timeline import PaidWindow, first_open_period, is_billable_period
from billing.errors import InvalidPeriod
from billing.models import InvoiceRow, SubscriptionRow
from billing.runtime import BillingUseCase
from billing.usecases.invoice_lifecycle import issue_invoices
from bss.calendar_months import next_period, period_end_instant, period_of, previous_period

log = structlog.get_logger("billing.usecases.month_close")


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
    for chunk in (candidates[i : i + size] for i in range(0, len(candidates), size)):
        try:
            async with ctx.transaction() as session:
                done = await _close_chunk(session, ctx, store, chunk, period, cache, summary, issue=issue)
            summary.invoiced += done
            summary.skipped += len(chunk) - done - _failed_in(summary, chunk)
        except IntegrityError:
            # A concurrent close invoiced some of these first: redo the chunk one subscription at a time.
            summary.failed = [f for f in summary.failed if f["subscription_id"] not in chunk]
            for subscription_id in chunk:
                await _close_alone(ctx, store, subscription_id, period, cache, summary, issue=issue)
    return summary


def _failed_in(summary: CloseSummary, chunk: list[str]) -> int:
    members = set(chunk)
    return sum(1 for failure in summary.failed if failure["subscription_id"] in members)


async def _close_alone(
    ctx: BillingUseCase,
    store: UsageStore,
    subscription_id: str,
    period: date,
    cache: ReadCache,
    summary: CloseSummary,
    *,
    issue: bool,
) -> None:
    try:
        async with ctx.transaction() as session:
            done = await _close_chunk(session, ctx, store, [subscription_id], period, cache, summary, issue=issue)
    except IntegrityError:
        done = 0
    summary.invoiced += done
    summary.skipped += 1 - done - _failed_in(summary, [subscription_id])


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


async def _close_chunk(
    session: AsyncSession,
    ctx: BillingUseCase,
    store: UsageStore,
    chunk: list[str],
    period: date,
    cache: ReadCache,
    summary: CloseSummary,
    *,
    issue: bool,
) -> int:
    """Invoice a chunk of subscriptions in one transaction (their rows locked in id order); returns how many."""
    settings = ctx.settings
    views = await load_subscriptions(session, chunk, lock=True)
    open_views = [views[s] for s in sorted(views) if _still_open(views[s], period)]
    if not open_views:
        return 0
    closed = [v.row.closed_through for v in open_views]
    rows = await prefetch(
        session,
        store,
        [v.row.subscription_id for v in open_views],
        {v.row.reseller_id for v in open_views},
        period,
        billed_after=None if None in closed else min(c for c in closed if c is not None),
    )
    invoices = []
    for view in open_views:
        try:
            resolved = await resolve_invoice(
                session, settings, view, period, billed_after=view.row.closed_through, cache=cache, rows=rows
            )
        except CannotInvoice as exc:
            log.warning("subscription not invoiced", subscription_id=view.row.subscription_id, reason=str(exc))
            summary.failed.append({"subscription_id": view.row.subscription_id, "reason": str(exc)})
            continue
        invoices.append(_new_invoice(view, period, resolved, compute_invoice(resolved.inputs), now=ctx.now))
    if not invoices:
        return 0
    session.add_all(invoices)
    await session.flush()
    await session.execute(
        update(SubscriptionRow)
        .where(SubscriptionRow.subscription_id.in_([i.subscription_id for i in invoices]))
        .values(closed_through=period)
    )
    if issue:
        await issue_invoices(session, ctx, invoices)
    return len(invoices)


def _still_open(view: SubscriptionView, period: date) -> bool:
    closed = view.row.closed_through
    return (closed is None or closed < period) and is_billable_period(view.window, period)


def _new_invoice(
    view: SubscriptionView, period: date, resolved: ResolvedInvoice, amounts: InvoiceAmounts, *, now: datetime
) -> InvoiceRow:
    margin = invoice_margin(amounts.lines, amounts.currency, resolved.cost_factor)
    invoice_id = str(uuid4())
    return InvoiceRow(
        invoice_id=invoice_id,
        subscription_id=view.row.subscription_id,
        reseller_id=view.row.reseller_id,
        period=period,
        invoice_date=resolved.invoice_date,
        status="draft",
        number=None,
        currency=amounts.currency,
        total=amounts.total,
        credited=Decimal(0),
        revenue=margin.revenue,
        cost=margin.cost,
        document=invoice_document(invoice_id, view, period, resolved, amounts),
        created_at=now,
    )


def previous_month(now: datetime) -> date:
    """The period a close on `now` is for: the month before the current one."""
    return previous_period(period_of(now))
