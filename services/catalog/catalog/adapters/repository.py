"""Queries of the catalog: products with their history as domain records, SKUs, prices, the catalog version."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bss.availability import NewPartnerRule
from catalog.domain.pricing import FxQuote
from catalog.domain.timeline import Commitment, ProductRecord, ProductVersion, UsageSkuSpec
from catalog.models import (
    CatalogChange,
    CommitmentRow,
    ExclusionSet,
    FxRateRow,
    Product,
    ProductType,
    ProductVersionRow,
    UsageSkuRow,
)


def version_of(row: ProductVersionRow) -> ProductVersion:
    rule = None
    if row.restricted_countries and row.restricted_partners_since:
        rule = NewPartnerRule(tuple(row.restricted_countries.split(",")), row.restricted_partners_since)
    return ProductVersion(row.effective_from, row.name, row.tier, row.orderable_before, rule)


async def load_records(session: AsyncSession, ids: Collection[str] | None = None) -> list[ProductRecord]:
    """Products with their whole history; with `ids`, those and every product sharing an exclusion set with
    them (a product's upgrade paths depend on its peers)."""
    query = (
        select(Product, ProductType.name, ExclusionSet.name)
        .join(ProductType, Product.product_type_id == ProductType.id)
        .outerjoin(ExclusionSet, Product.exclusion_set_id == ExclusionSet.id)
    )
    if ids is not None:
        sets = select(Product.exclusion_set_id).where(Product.id.in_(ids), Product.exclusion_set_id.is_not(None))
        query = query.where(or_(Product.id.in_(ids), Product.exclusion_set_id.in_(sets)))
    rows = (await session.execute(query.order_by(Product.code))).all()
    product_ids = [product.id for product, _, _ in rows]
    versions: dict[str, list[ProductVersion]] = defaultdict(list)
    commitments: dict[str, list[Commitment]] = defaultdict(list)
    for chunk in _chunks(product_ids):
        for v in (
            await session.scalars(select(ProductVersionRow).where(ProductVersionRow.product_id.in_(chunk)))
        ).all():
            versions[v.product_id].append(version_of(v))
        for c in (await session.scalars(select(CommitmentRow).where(CommitmentRow.product_id.in_(chunk)))).all():
            commitments[c.product_id].append(Commitment(c.currency, c.effective_from, c.amount))
    return [
        ProductRecord(
            id=product.id,
            code=product.code,
            product_type=type_name,
            versions=tuple(sorted(versions[product.id], key=lambda v: v.effective_from)),
            commitments=tuple(sorted(commitments[product.id], key=lambda c: (c.currency, c.effective_from))),
            deactivated_on=product.deactivated_on,
            exclusion_set=set_name,
        )
        for product, type_name, set_name in rows
    ]


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


async def load_skus_by_type(session: AsyncSession) -> dict[str, list[UsageSkuSpec]]:
    """Usage SKUs per product type name."""
    rows = (
        await session.execute(
            select(UsageSkuRow, ProductType.name).join(ProductType, UsageSkuRow.product_type_id == ProductType.id)
        )
    ).all()
    found: dict[str, list[UsageSkuSpec]] = defaultdict(list)
    for sku, type_name in rows:
        found[type_name].append(UsageSkuSpec(sku.sku, sku.name, sku.unit, sku.aggregation, sku.effective_from))
    return found


async def fx_quotes(session: AsyncSession, currencies: Collection[str], on: date) -> list[FxQuote]:
    rows = await session.scalars(
        select(FxRateRow).where(FxRateRow.currency.in_(currencies), FxRateRow.effective_from <= on)
    )
    return [FxQuote(r.currency, r.effective_from, r.units_per_usd) for r in rows]


_VERSION = select(func.coalesce(func.max(CatalogChange.seq), 0))


async def catalog_version(session: AsyncSession) -> int:
    """The catalog version: the number of the latest change (0 for an empty catalog)."""
    return int((await session.execute(_VERSION)).scalar_one())


async def current_catalog_version(engine: AsyncEngine) -> int:
    """The catalog version on a pooled connection of its own, without a session: what a cached read pays."""
    async with engine.connect() as connection:
        return int((await connection.execute(_VERSION)).scalar_one())


def record_change(
    session: AsyncSession, kind: str, subject: str, actor: str, *, effective_at: datetime, recorded_at: datetime
) -> None:
    """Every catalog write notes itself here, in its own transaction; this bumps the catalog version."""
    session.add(
        CatalogChange(kind=kind, subject=subject, actor=actor, effective_at=effective_at, recorded_at=recorded_at)
    )
