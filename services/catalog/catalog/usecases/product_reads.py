"""Reads of products as of a date, and their eligibility; each opens its own session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.adapters.repository import load_records
from catalog.domain.definitions import upgrade_ids
from catalog.domain.eligibility import Eligibility, ResellerProfile, is_orderable
from catalog.domain.timeline import ProductRecord
from catalog.errors import ProductNotFound
from catalog.models import Product
from catalog.runtime import CatalogRuntime


@dataclass(frozen=True, slots=True)
class Commitment:
    """A minimum commitment in one price-list currency."""

    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Restriction:
    """Who may not order a version: partners in these countries who joined on or after `partners_since`."""

    countries: tuple[str, ...]
    partners_since: date


@dataclass(frozen=True, slots=True)
class ProductAsOf:
    """A product as it was on one day: the version then in force, its commitments and upgrades."""

    id: str
    code: str
    product_type: str
    as_of: date
    name: str
    tier: str
    description: str
    marketing_text: str
    state: str  # 'active' or 'deactivated' on `as_of`
    available_from: date
    deactivated_on: date | None
    orderable_before: date | None
    new_partner_restriction: Restriction | None
    commitments: tuple[Commitment, ...]
    upgrade_product_ids: tuple[str, ...]
    exclusion_set: str | None


def read_of(record: ProductRecord, product: Product, peers: list[ProductRecord], as_of: date) -> ProductAsOf | None:
    """The product as it was on `as_of`; None before it existed."""
    version = record.version_on(as_of)
    if version is None:
        return None
    rule = version.new_partner_rule
    return ProductAsOf(
        id=record.id,
        code=record.code,
        product_type=record.product_type,
        as_of=as_of,
        name=version.name,
        tier=version.tier,
        description=product.description,
        marketing_text=product.marketing_text,
        state="deactivated" if record.is_deactivated_on(as_of) else "active",
        available_from=record.available_from or as_of,
        deactivated_on=record.deactivated_on,
        orderable_before=version.orderable_before,
        new_partner_restriction=(
            Restriction(countries=tuple(rule.countries), partners_since=rule.partners_since) if rule else None
        ),
        commitments=tuple(Commitment(currency=c, amount=a) for c, a in record.commitments_on(as_of).items()),
        upgrade_product_ids=tuple(upgrade_ids(record, peers, as_of)),
        exclusion_set=record.exclusion_set,
    )


async def require_product(runtime: CatalogRuntime, product_id: str) -> str:
    """The canonical id of an existing product (any date); `ProductNotFound` for an unknown or malformed id."""
    try:
        canonical = str(uuid.UUID(product_id))
    except ValueError as exc:
        raise ProductNotFound(product_id) from exc
    async with runtime.sessions() as session:
        if await session.get(Product, canonical) is None:
            raise ProductNotFound(canonical)
    return canonical


async def product_read(runtime: CatalogRuntime, product_id: str, as_of: date) -> ProductAsOf:
    """One product as of a date (404 if unknown or not yet existing on that date)."""
    async with runtime.sessions() as session:
        return await product_as_of(session, product_id, as_of)


async def product_as_of(session: AsyncSession, product_id: str, as_of: date) -> ProductAsOf:
    """`product_read` in a session the caller holds: a write use case answers with it in its transaction."""
    product = await session.get(Product, product_id)
    peers = await load_records(session, [product_id]) if product is not None else []
    record = next((r for r in peers if r.id == product_id), None)
    read = read_of(record, product, peers, as_of) if record is not None and product is not None else None
    if read is None:
        raise ProductNotFound(f"{product_id} (as of {as_of})")
    return read


async def list_products(runtime: CatalogRuntime, as_of: date, after_code: str | None, limit: int) -> list[ProductAsOf]:
    """Products that exist on `as_of`, by code (up to `limit + 1`, so the caller knows whether more follow)."""
    async with runtime.sessions() as session:
        records = await load_records(session)
        query = select(Product).order_by(Product.code)
        if after_code is not None:
            query = query.where(Product.code > after_code)
        products = {p.id: p for p in (await session.scalars(query)).all()}
        found: list[ProductAsOf] = []
        for record in records:
            product = products.get(record.id)
            read = read_of(record, product, records, as_of) if product is not None else None
            if read is not None:
                found.append(read)
                if len(found) > limit:
                    break
        return found


async def eligibility(runtime: CatalogRuntime, product_id: str, reseller: ResellerProfile, on: date) -> Eligibility:
    """Whether the reseller may order the product on `on`, with every reason when not."""
    async with runtime.sessions() as session:
        records = await load_records(session, [product_id])
    record = next((r for r in records if r.id == product_id), None)
    if record is None:
        raise ProductNotFound(product_id)
    return is_orderable(record, reseller, on)
