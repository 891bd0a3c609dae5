"""Use cases of usage SKUs, the vendor sell prices, reseller custom price lists and FX rates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.idempotency import IdempotentRequest
from bss.events.contracts.catalog import FxRatesPublishedV1
from bss.problems import field_error
from catalog.adapters.publisher import publish_definitions
from catalog.adapters.repository import load_records
from catalog.domain.pricing import Adjustment
from catalog.domain.product_identity import FX_RATE_TABLE_ID, VENDOR_SELL_PRICE_BOOK_ID, derived_id
from catalog.errors import AlreadyExists, InvalidField, OverlappingPeriod, UnknownReference
from catalog.models import (
    FxPairRow,
    FxRateRow,
    PriceBook,
    PriceEntryRow,
    PricePublication,
    Product,
    ProductType,
    UsageSkuRow,
)
from catalog.runtime import CatalogUseCase
from catalog.usecases.context import create_once, note
from catalog.usecases.price_publication import NewPrice, publish_prices

VENDOR_SELL_NAME = "Acronis sell prices"


@dataclass(frozen=True, slots=True)
class CreateSku:
    sku: str
    name: str
    unit: str
    aggregation: str
    product_type: str  # the product type's code
    description: str
    effective_from: date | None  # None: the day of the change


@dataclass(frozen=True, slots=True)
class UsageSku:
    sku: str
    name: str
    unit: str
    aggregation: str
    product_type: str
    description: str
    effective_from: date


@dataclass(frozen=True, slots=True)
class PublishSellPrices:
    effective_from: date
    entries: tuple[NewPrice, ...]


@dataclass(frozen=True, slots=True)
class CustomPrice:
    product_id: str
    sku: str
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class PublishCustomPriceList:
    currency: str
    effective_from: date
    adjustment: Adjustment | None  # for the SKUs the list does not price
    entries: tuple[CustomPrice, ...]


@dataclass(frozen=True, slots=True)
class Publication:
    price_book_id: str
    publication_id: str
    effective_from: date
    entries: int
    batches: int


@dataclass(frozen=True, slots=True)
class UsdRate:
    currency: str
    units_per_usd: Decimal


@dataclass(frozen=True, slots=True)
class PairRate:
    """1 `base` = `rate` `quote`."""

    base: str
    quote: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class PublishFxRates:
    effective_from: date
    rates: tuple[UsdRate, ...]
    source: str | None
    pairs: tuple[PairRate, ...] = ()


@dataclass(frozen=True, slots=True)
class FxRateTable:
    rate_table_id: str
    effective_from: date
    rates: tuple[UsdRate, ...]
    source: str | None
    pairs: tuple[PairRate, ...] = ()


async def create_sku(ctx: CatalogUseCase, command: CreateSku, request: IdempotentRequest | None) -> UsageSku:
    async def work(session: AsyncSession) -> UsageSku:
        if await session.get(UsageSkuRow, command.sku) is not None:
            raise AlreadyExists(f"SKU {command.sku} exists already.", errors=[field_error("sku", "taken")])
        type_id = await session.scalar(select(ProductType.id).where(ProductType.code == command.product_type))
        if type_id is None:
            raise UnknownReference("product_type", f"no product type '{command.product_type}'")
        start = command.effective_from or ctx.today
        session.add(
            UsageSkuRow(
                sku=command.sku,
                product_type_id=type_id,
                name=command.name,
                unit=command.unit,
                aggregation=command.aggregation,
                description=command.description,
                effective_from=start,
            )
        )
        await session.flush()
        product_ids = (await session.scalars(select(Product.id).where(Product.product_type_id == type_id))).all()
        await publish_definitions(session, ctx.runtime.outbox, product_ids, now=ctx.now)
        note(ctx, session, "sku_created", command.sku)
        return UsageSku(
            command.sku,
            command.name,
            command.unit,
            command.aggregation,
            command.product_type,
            command.description,
            start,
        )

    return await create_once(ctx, request, UsageSku, work)


async def vendor_sell_book(session: AsyncSession, ctx_now: Any) -> PriceBook:
    book = await session.get(PriceBook, VENDOR_SELL_PRICE_BOOK_ID)
    if book is None:
        book = PriceBook(id=VENDOR_SELL_PRICE_BOOK_ID, name=VENDOR_SELL_NAME, kind="vendor_sell", created_at=ctx_now)
        session.add(book)
        await session.flush()
    return book


async def _check_references(session: AsyncSession, product_ids: Sequence[str], skus: Sequence[str]) -> None:
    known_products = set((await session.scalars(select(Product.id).where(Product.id.in_(set(product_ids))))).all())
    known_skus = set((await session.scalars(select(UsageSkuRow.sku).where(UsageSkuRow.sku.in_(set(skus))))).all())
    for index, (product_id, sku) in enumerate(zip(product_ids, skus, strict=True)):
        if product_id not in known_products:
            raise UnknownReference(f"entries.{index}.product_id", f"no product {product_id}")
        if sku not in known_skus:
            raise UnknownReference(f"entries.{index}.sku", f"no usage SKU {sku}")


async def publish_sell_prices(
    ctx: CatalogUseCase, command: PublishSellPrices, request: IdempotentRequest | None
) -> Publication:
    async def work(session: AsyncSession) -> Publication:
        prices = command.entries
        await _check_references(session, [p.product_id for p in prices], [p.sku for p in prices])
        book = await vendor_sell_book(session, ctx.now)
        await _refuse_overlaps(session, book.id, command.effective_from, prices)
        records = {r.id: r for r in await load_records(session, {p.product_id for p in prices})}
        publication_id, batches = await publish_prices(
            session,
            ctx.runtime.outbox,
            book,
            command.effective_from,
            prices,
            records,
            adjustment=None,
            effective_at=ctx.effective,
            now=ctx.now,
        )
        note(ctx, session, "sell_prices_published", publication_id)
        return Publication(book.id, publication_id, command.effective_from, len(prices), batches)

    return await create_once(ctx, request, Publication, work)


async def publish_custom_price_list(
    ctx: CatalogUseCase, reseller_id: str, command: PublishCustomPriceList, request: IdempotentRequest | None
) -> Publication:
    """A reseller's own list in one currency from a date; SKUs it does not price fall back to the sell price."""

    async def work(session: AsyncSession) -> Publication:
        prices = [NewPrice(e.product_id, e.sku, command.currency, e.unit_price) for e in command.entries]
        await _check_references(session, [p.product_id for p in prices], [p.sku for p in prices])
        book = await _custom_book(session, reseller_id, command, ctx)
        book_id = book.id
        await _refuse_overlaps(session, book_id, command.effective_from, prices)
        records = {r.id: r for r in await load_records(session, {p.product_id for p in prices})}
        publication_id, batches = await publish_prices(
            session,
            ctx.runtime.outbox,
            book,
            command.effective_from,
            prices,
            records,
            adjustment=command.adjustment,
            effective_at=ctx.effective,
            now=ctx.now,
        )
        note(ctx, session, "custom_price_list_published", book_id)
        return Publication(book_id, publication_id, command.effective_from, len(prices), batches)

    return await create_once(ctx, request, Publication, work)


async def _custom_book(
    session: AsyncSession, reseller_id: str, command: PublishCustomPriceList, ctx: CatalogUseCase
) -> PriceBook:
    """The reseller's book in that currency (created on first use); one version per start date."""
    book_id = derived_id("price-book", "reseller", reseller_id, command.currency)
    book = await session.get(PriceBook, book_id)
    if book is None:
        book = PriceBook(
            id=book_id,
            name=f"Custom {command.currency} prices of reseller {reseller_id}",
            kind="reseller_custom",
            reseller_id=reseller_id,
            currency=command.currency,
            created_at=ctx.now,
        )
        session.add(book)
        await session.flush()
    clash = await session.scalar(
        select(PricePublication.id).where(
            PricePublication.price_book_id == book_id, PricePublication.effective_from == command.effective_from
        )
    )
    if clash is not None:
        raise OverlappingPeriod(
            "effective_from",
            f"this reseller's {command.currency} list already starts a version on {command.effective_from}",
        )
    return book


async def _refuse_overlaps(
    session: AsyncSession, book_id: str, effective_from: Any, prices: Sequence[NewPrice]
) -> None:
    existing = {
        (row.product_id, row.sku, row.currency)
        for row in (
            await session.execute(
                select(PriceEntryRow.product_id, PriceEntryRow.sku, PriceEntryRow.currency).where(
                    PriceEntryRow.price_book_id == book_id, PriceEntryRow.effective_from == effective_from
                )
            )
        ).all()
    }
    seen: set[tuple[str, str, str]] = set()
    for index, price in enumerate(prices):
        key = (price.product_id, price.sku, price.currency)
        if key in existing or key in seen:
            raise OverlappingPeriod(
                f"entries.{index}", f"a price for this product, SKU and currency from {effective_from} exists already"
            )
        seen.add(key)


async def publish_fx_rates(
    ctx: CatalogUseCase, command: PublishFxRates, request: IdempotentRequest | None
) -> FxRateTable:
    """One publication of FX rates from a date: units per USD (`rates`, the pairs with base USD) and any other
    pairs. A pair is quoted once per date, in one direction, whichever list and publication quotes it."""

    async def work(session: AsyncSession) -> FxRateTable:
        if not command.rates and not command.pairs:
            raise InvalidField("rates", "give at least one rate (units per USD) or one pair")
        quoted = await _pairs_quoted_on(session, command.effective_from)
        seen: set[frozenset[str]] = set()
        for index, rate in enumerate(command.rates):
            field = f"rates.{index}.currency"
            if rate.currency == "USD":
                raise UnknownReference(field, "rates are quoted against USD; USD has no rate against itself")
            key = frozenset(("USD", rate.currency))
            if key in seen or key in quoted:
                raise OverlappingPeriod(field, f"a {rate.currency} rate from {command.effective_from} exists already")
            seen.add(key)
            session.add(
                FxRateRow(
                    currency=rate.currency,
                    effective_from=command.effective_from,
                    units_per_usd=rate.units_per_usd,
                    source=command.source,
                    effective_at=ctx.effective,
                    recorded_at=ctx.now,
                )
            )
        for index, pair in enumerate(command.pairs):
            if pair.base == pair.quote:
                raise InvalidField(f"pairs.{index}.quote", "a pair is two different currencies")
            key = frozenset((pair.base, pair.quote))
            if key in seen or key in quoted:
                raise OverlappingPeriod(
                    f"pairs.{index}",
                    f"the pair {pair.base}/{pair.quote} is quoted from {command.effective_from} already "
                    "(in this publication or another, in either direction)",
                )
            seen.add(key)
            session.add(
                FxPairRow(
                    base=pair.base,
                    quote=pair.quote,
                    effective_from=command.effective_from,
                    rate=pair.rate,
                    source=command.source,
                    effective_at=ctx.effective,
                    recorded_at=ctx.now,
                )
            )
        event = FxRatesPublishedV1.model_validate(
            {
                "rate_table_id": FX_RATE_TABLE_ID,
                "effective_from": command.effective_from,
                "rates": [{"currency": r.currency, "units_per_usd": r.units_per_usd} for r in command.rates],
                "pairs": [{"base": p.base, "quote": p.quote, "rate": p.rate} for p in command.pairs],
                "source": command.source,
            }
        )
        await ctx.runtime.outbox.add(session, event, now=ctx.now)
        note(ctx, session, "fx_rates_published", command.effective_from.isoformat())
        return FxRateTable(FX_RATE_TABLE_ID, command.effective_from, command.rates, command.source, command.pairs)

    return await create_once(ctx, request, FxRateTable, work)


async def _pairs_quoted_on(session: AsyncSession, effective_from: date) -> set[frozenset[str]]:
    """The pairs (either direction) already quoted from `effective_from`: USD rates as pairs with USD."""
    rates = await session.scalars(select(FxRateRow.currency).where(FxRateRow.effective_from == effective_from))
    pairs = await session.execute(
        select(FxPairRow.base, FxPairRow.quote).where(FxPairRow.effective_from == effective_from)
    )
    return {frozenset(("USD", currency)) for currency in rates} | {frozenset(row) for row in pairs.all()}
