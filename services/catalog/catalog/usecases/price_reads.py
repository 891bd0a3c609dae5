"""Reads of prices as of a date: sell prices, a reseller's resolved prices, FX rates and conversions.

Each read opens its own session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.adapters.repository import fx_quotes, load_records
from catalog.domain.pricing import (
    Adjustment,
    AdjustmentKind,
    CustomPriceList,
    MissingRate,
    convert,
    reseller_unit_price,
)
from catalog.domain.product_identity import VENDOR_SELL_PRICE_BOOK_ID, derived_id
from catalog.errors import UnknownReference
from catalog.models import FxPairRow, FxRateRow, PriceEntryRow, PricePublication
from catalog.runtime import CatalogRuntime


@dataclass(frozen=True, slots=True)
class UnitPrice:
    """What one SKU of one product costs per unit on a date, and which price list said so."""

    product_id: str
    tier: str
    sku: str
    currency: str
    unit_price: Decimal
    source: str  # 'sell_price', 'custom_price', or 'custom_<adjustment kind>'
    effective_from: date


@dataclass(frozen=True, slots=True)
class FxRate:
    """A published pair: 1 `base` = `rate` `quote` (a rate in units per USD has base USD)."""

    base: str
    quote: str
    rate: Decimal
    effective_from: date
    source: str | None


@dataclass(frozen=True, slots=True)
class ConvertedAmount:
    amount: Decimal
    currency: str
    converted: Decimal
    to_currency: str
    rate: Decimal
    on: date
    rates_used: tuple[FxRate, ...]


async def prices_on(
    session: AsyncSession, book_id: str, on: date, currency: str, product_id: str | None
) -> dict[tuple[str, str], tuple[Decimal, date]]:
    """(product_id, sku) -> (unit price, effective_from) in force on `on` in one book and currency."""
    query = select(PriceEntryRow).where(
        PriceEntryRow.price_book_id == book_id, PriceEntryRow.currency == currency, PriceEntryRow.effective_from <= on
    )
    if product_id is not None:
        query = query.where(PriceEntryRow.product_id == product_id)
    found: dict[tuple[str, str], tuple[Decimal, date]] = {}
    for row in (await session.scalars(query)).all():
        key = (row.product_id, row.sku)
        if key not in found or found[key][1] < row.effective_from:
            found[key] = (row.unit_price, row.effective_from)
    return found


async def _custom_list(
    session: AsyncSession, reseller_id: str, currency: str, on: date, product_id: str | None
) -> CustomPriceList | None:
    book_id = derived_id("price-book", "reseller", reseller_id, currency)
    publications = (
        await session.scalars(
            select(PricePublication).where(
                PricePublication.price_book_id == book_id, PricePublication.effective_from <= on
            )
        )
    ).all()
    if not publications:
        return None
    latest = max(publications, key=lambda p: p.effective_from)
    adjustment = None
    if latest.adjustment_kind is not None and latest.adjustment_percent is not None:
        adjustment = Adjustment(cast(AdjustmentKind, latest.adjustment_kind), latest.adjustment_percent)
    own = await prices_on(session, book_id, on, currency, product_id)
    return CustomPriceList(adjustment, {key: price for key, (price, _) in own.items()})


async def reseller_prices(
    runtime: CatalogRuntime, reseller_id: str | None, currency: str, on: date, product_id: str | None
) -> list[UnitPrice]:
    """Unit prices a reseller pays (its custom list, else the sell price); the sell prices without a reseller."""
    async with runtime.sessions() as session:
        sell = await prices_on(session, VENDOR_SELL_PRICE_BOOK_ID, on, currency, product_id)
        custom = await _custom_list(session, reseller_id, currency, on, product_id) if reseller_id else None
        records = {r.id: r for r in await load_records(session, {pid for pid, _ in sell} or None)}
    result: list[UnitPrice] = []
    for (pid, sku), (sell_price, since) in sorted(sell.items()):
        price, source = reseller_unit_price(sell_price, custom, pid, sku)
        version = records[pid].version_on(on) if pid in records else None
        result.append(
            UnitPrice(
                product_id=pid,
                tier=version.tier if version else "",
                sku=sku,
                currency=currency,
                unit_price=price,
                source=source,
                effective_from=since,
            )
        )
    return result


async def fx_rates_on(runtime: CatalogRuntime, on: date) -> list[FxRate]:
    """The latest rate of each pair on or before `on`: the units per USD by currency, then the other pairs."""
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(FxRateRow).where(FxRateRow.effective_from <= on))).all()
        pair_rows = (await session.scalars(select(FxPairRow).where(FxPairRow.effective_from <= on))).all()
    published = [FxRate("USD", r.currency, r.units_per_usd, r.effective_from, r.source) for r in rows]
    published += [FxRate(p.base, p.quote, p.rate, p.effective_from, p.source) for p in pair_rows]
    latest: dict[tuple[str, str], FxRate] = {}
    for rate in published:
        key = (rate.base, rate.quote)
        if key not in latest or latest[key].effective_from < rate.effective_from:
            latest[key] = rate
    return sorted(latest.values(), key=lambda r: (r.base != "USD", r.base, r.quote))


async def conversion(
    runtime: CatalogRuntime, amount: Decimal, currency: str, to_currency: str, on: date
) -> ConvertedAmount:
    async with runtime.sessions() as session:
        quotes = await fx_quotes(session, {currency, to_currency}, on)
    try:
        result = convert(amount, currency, to_currency, quotes, on)
    except MissingRate as exc:
        field = "from_currency" if exc.currency == currency else "to_currency"
        raise UnknownReference(field, f"no FX rate for {exc.currency} on or before {on}") from exc
    used = [q for q in (result.from_quote, result.to_quote) if q is not None]
    return ConvertedAmount(
        amount=amount,
        currency=currency,
        converted=result.converted,
        to_currency=to_currency,
        rate=result.rate,
        on=on,
        rates_used=tuple(
            FxRate(base="USD", quote=q.currency, rate=q.units_per_usd, effective_from=q.effective_from, source=None)
            for q in used
        ),
    )
