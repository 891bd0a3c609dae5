"""Reads of products as of a date, and their eligibility."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.api.schemas import CommitmentRead, ProductRead, RestrictionRead
from catalog.domain.definitions import upgrade_ids
from catalog.domain.eligibility import Eligibility, ResellerProfile, is_orderable
from catalog.domain.timeline import ProductRecord
from catalog.errors import ProductNotFound
from catalog.models import Product
from catalog.repository import load_records


def read_of(record: ProductRecord, product: Product, peers: list[ProductRecord], as_of: date) -> ProductRead | None:
    """The product as it was on `as_of`; None before it existed."""
    version = record.version_on(as_of)
    if version is None:
        return None
    rule = version.new_partner_rule
    return ProductRead(
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
            RestrictionRead(countries=list(rule.countries), partners_since=rule.partners_since) if rule else None
        ),
        commitments=[CommitmentRead(currency=c, amount=a) for c, a in record.commitments_on(as_of).items()],
        upgrade_product_ids=list(upgrade_ids(record, peers, as_of)),
        exclusion_set=record.exclusion_set,
    )


async def product_read(session: AsyncSession, product_id: str, as_of: date) -> dict[str, Any]:
    """One product as of a date, as JSON (404 if unknown or not yet existing on that date)."""
    product = await session.get(Product, product_id)
    peers = await load_records(session, [product_id]) if product is not None else []
    record = next((r for r in peers if r.id == product_id), None)
    read = read_of(record, product, peers, as_of) if record is not None and product is not None else None
    if read is None:
        raise ProductNotFound(f"{product_id} (as of {as_of})")
    return read.model_dump(mode="json")


async def list_products(session: AsyncSession, as_of: date, after_code: str | None, limit: int) -> list[ProductRead]:
    """Products that exist on `as_of`, by code."""
    records = await load_records(session)
    query = select(Product).order_by(Product.code)
    if after_code is not None:
        query = query.where(Product.code > after_code)
    products = {p.id: p for p in (await session.scalars(query)).all()}
    found: list[ProductRead] = []
    for record in records:
        product = products.get(record.id)
        read = read_of(record, product, records, as_of) if product is not None else None
        if read is not None:
            found.append(read)
            if len(found) > limit:
                break
    return found


async def eligibility(session: AsyncSession, product_id: str, reseller: ResellerProfile, on: date) -> Eligibility:
    records = await load_records(session, [product_id])
    record = next((r for r in records if r.id == product_id), None)
    if record is None:
        raise ProductNotFound(product_id)
    return is_orderable(record, reseller, on)
