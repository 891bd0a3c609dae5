"""Reads of the catalog's structure: product types, exclusion sets with their members, a product's history, SKUs.

Each opens its own session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from catalog.adapters.repository import version_of
from catalog.domain.timeline import ProductVersion
from catalog.errors import ProductNotFound
from catalog.models import CommitmentRow, ExclusionSet, Product, ProductType, ProductVersionRow, UsageSkuRow
from catalog.runtime import CatalogRuntime
from catalog.usecases.prices import UsageSku
from catalog.usecases.products import ExclusionSetMembers, ProductTypeDetails


@dataclass(frozen=True, slots=True)
class DatedCommitment:
    currency: str
    amount: Decimal
    effective_from: date


@dataclass(frozen=True, slots=True)
class ProductHistory:
    """Every dated version and commitment of a product, oldest first (commitments by currency)."""

    id: str
    code: str
    versions: tuple[ProductVersion, ...]
    commitments: tuple[DatedCommitment, ...]
    deactivated_on: date | None


async def product_types(runtime: CatalogRuntime) -> list[ProductTypeDetails]:
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(ProductType).order_by(ProductType.code))).all()
        return [ProductTypeDetails(t.id, t.code, t.name, tuple(t.characteristics)) for t in rows]


async def exclusion_sets(runtime: CatalogRuntime) -> list[ExclusionSetMembers]:
    """Every set with its members by product code; a set without members is listed too."""
    async with runtime.sessions() as session:
        rows = (
            await session.execute(
                select(ExclusionSet.name, Product.id)
                .outerjoin(Product, Product.exclusion_set_id == ExclusionSet.id)
                .order_by(ExclusionSet.name, Product.code)
            )
        ).all()
    found: dict[str, list[str]] = {}
    for name, product_id in rows:
        found.setdefault(name, [])
        if product_id is not None:
            found[name].append(product_id)
    return [ExclusionSetMembers(name, tuple(ids)) for name, ids in found.items()]


async def product_history(runtime: CatalogRuntime, product_id: str) -> ProductHistory:
    """The history of a product; `ProductNotFound` when there is none (the api checked: `deps.existing_product`)."""
    async with runtime.sessions() as session:
        product = await session.get(Product, product_id)
        if product is None:
            raise ProductNotFound(product_id)
        versions = (
            await session.scalars(
                select(ProductVersionRow)
                .where(ProductVersionRow.product_id == product_id)
                .order_by(ProductVersionRow.effective_from)
            )
        ).all()
        commitments = (
            await session.scalars(
                select(CommitmentRow)
                .where(CommitmentRow.product_id == product_id)
                .order_by(CommitmentRow.currency, CommitmentRow.effective_from)
            )
        ).all()
        return ProductHistory(
            id=product.id,
            code=product.code,
            versions=tuple(version_of(row) for row in versions),
            commitments=tuple(DatedCommitment(c.currency, c.amount, c.effective_from) for c in commitments),
            deactivated_on=product.deactivated_on,
        )


async def usage_skus(runtime: CatalogRuntime) -> list[UsageSku]:
    async with runtime.sessions() as session:
        rows = (
            await session.execute(select(UsageSkuRow, ProductType.code).join(ProductType).order_by(UsageSkuRow.sku))
        ).all()
        return [
            UsageSku(
                sku=s.sku,
                name=s.name,
                unit=s.unit,
                aggregation=s.aggregation,
                product_type=code,
                description=s.description,
                effective_from=s.effective_from,
            )
            for s, code in rows
        ]
