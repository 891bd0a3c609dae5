"""Invoices and their numbers in the database: loading (locked for a lifecycle step), listing, and the gapless
per-year number sequences.

Numbers come from a counter row updated in the issuing transaction: a rolled-back issue returns its number,
so the sequence has no gaps, and concurrent issuers queue on the row lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.errors import InvoiceNotFound
from billing.models import CreditNoteRow, InvoiceRow, NumberSequenceRow, ResellerRow, SubscriptionRow
from bss.db import among, insert_for

_INVOICES = cast(Table, InvoiceRow.__table__)


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


async def add_invoices(session: AsyncSession, invoices: Sequence[dict[str, Any]]) -> None:
    """New invoices (their columns' values), written with one statement."""
    await session.execute(insert(_INVOICES), invoices)


async def close_subscriptions(session: AsyncSession, subscription_ids: Sequence[str], period: date) -> None:
    """The subscriptions are invoiced through `period` (their `closed_through`)."""
    await session.execute(
        update(SubscriptionRow)
        .where(among(session, SubscriptionRow.subscription_id, subscription_ids))
        .values(closed_through=period)
    )


async def load_credit_note(session: AsyncSession, credit_note_id: str) -> CreditNoteRow | None:
    return await session.get(CreditNoteRow, credit_note_id)


async def load_invoice(session: AsyncSession, invoice_id: str, *, lock: bool = False) -> InvoiceRow | None:
    """The invoice, locked for the transaction if asked (FOR UPDATE on PostgreSQL; SQLAlchemy renders none on
    SQLite, whose one writer at a time needs none)."""
    query = select(InvoiceRow).where(InvoiceRow.invoice_id == invoice_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def locked_invoice(session: AsyncSession, invoice_id: str) -> InvoiceRow:
    """The invoice, locked for the transaction; `InvoiceNotFound` if there is none."""
    invoice = await load_invoice(session, invoice_id, lock=True)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    return invoice


async def invoice_page(
    session: AsyncSession,
    *,
    reseller_id: str | None,
    period: date | None,
    after: tuple[date, str] | None,
    limit: int,
) -> list[InvoiceRow]:
    """Up to `limit` invoices, newest period first then by id, after the (period, invoice id) `after`; only
    `reseller_id`'s (None: everyone's) and only `period`'s (None: every period)."""
    query = select(InvoiceRow).order_by(InvoiceRow.period.desc(), InvoiceRow.invoice_id).limit(limit)
    if reseller_id is not None:
        query = query.where(InvoiceRow.reseller_id == reseller_id)
    if period is not None:
        query = query.where(InvoiceRow.period == period)
    if after is not None:
        last_period, last_id = after
        query = query.where(
            (InvoiceRow.period < last_period) | ((InvoiceRow.period == last_period) & (InvoiceRow.invoice_id > last_id))
        )
    return list((await session.execute(query)).scalars())


async def reseller_legal_name(session: AsyncSession, reseller_id: str) -> str | None:
    """The reseller's legal name as billing's read model holds it (None: not known to billing)."""
    reseller = await session.get(ResellerRow, reseller_id)
    return reseller.legal_name if reseller else None


async def latest_invoiced_period(session: AsyncSession) -> date | None:
    """The latest period any invoice (draft, issued, paid or void) was made for."""
    latest: date | None = (await session.execute(select(func.max(InvoiceRow.period)))).scalar_one_or_none()
    return latest
