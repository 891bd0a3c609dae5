"""The "services definition" sync: load the Acronis catalog with its history, idempotently (seeds 003, 004).

Running it again changes nothing and emits nothing; running it on a catalog seeded earlier (with an older
`known_on`) adds what the vendor published since: the January 2024 renames, Tier 2 and Tier 7, their prices.
Vendor names are authoritative ("continuously update names"); commitments, descriptions and marketing text
an admin changed are left alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.messaging.outbox import Outbox
from catalog.adapters.publisher import publish_definitions
from catalog.adapters.repository import load_records, record_change
from catalog.domain.acronis_catalog import (
    CHARACTERISTICS,
    EXCLUSION_SET,
    GROUP_CATEGORY,
    GROUP_MARKETING,
    GROUP_NAME,
    PRODUCT_TYPE,
    PRODUCT_TYPE_CODE,
    SeedCatalog,
    SeedProduct,
    acronis_catalog,
)
from catalog.domain.product_identity import derived_id
from catalog.domain.timeline import ProductRecord
from catalog.models import (
    CommitmentRow,
    ExclusionSet,
    PriceEntryRow,
    Product,
    ProductGroup,
    ProductGroupMember,
    ProductType,
    ProductVersionRow,
    UsageSkuRow,
)
from catalog.runtime import CatalogUseCase
from catalog.usecases.price_publication import NewPrice, publish_prices
from catalog.usecases.prices import vendor_sell_book

SYNC_REASON = "Acronis services definition sync"


@dataclass
class SyncCounts:
    products_created: int = 0
    versions_written: int = 0
    commitments_written: int = 0
    skus_created: int = 0
    prices_written: int = 0
    product_events: int = 0

    @property
    def changed(self) -> bool:
        return any(asdict(self).values())

    def as_dict(self) -> dict[str, int | bool]:
        return {**asdict(self), "changed": self.changed}


async def sync_definition(ctx: CatalogUseCase, known_on: date | None) -> SyncCounts:
    """The sync as one use case: the services definition loaded in one transaction (state and outbox events
    committed together), as the caller (an admin over HTTP, `catalog.seed` from the command line)."""
    async with ctx.transaction() as session:
        return await sync_services_definition(
            session,
            ctx.runtime.outbox,
            actor=ctx.caller.subject,
            effective_at=ctx.effective,
            now=ctx.now,
            known_on=known_on,
        )


async def sync_services_definition(
    session: AsyncSession, outbox: Outbox, *, actor: str, effective_at: datetime, now: datetime, known_on: date | None
) -> SyncCounts:
    """Bring the catalog up to the vendor's definition as known on `known_on` (all of it when None)."""
    seed = acronis_catalog(known_on)
    counts = SyncCounts()
    type_id = await _ensure_type(session)
    set_id = await _ensure_exclusion_set(session, now)
    await session.flush()  # parents first: the unit of work orders inserts by relationship, and there are none
    for product in seed.products:
        await _sync_product(session, product, type_id, set_id, now, counts)
    await session.flush()
    await _sync_skus(session, seed, type_id, counts)
    await session.flush()
    counts.product_events = await publish_definitions(
        session, outbox, [p.record.id for p in seed.products], now=now, reason=SYNC_REASON
    )
    counts.prices_written = await _sync_prices(session, outbox, seed, effective_at, now)
    await _ensure_group(session, seed, now)
    if counts.changed:
        record_change(
            session, "services_definition_synced", PRODUCT_TYPE_CODE, actor, effective_at=effective_at, recorded_at=now
        )
    return counts


async def _ensure_type(session: AsyncSession) -> str:
    type_id = derived_id("product-type", PRODUCT_TYPE_CODE)
    if await session.get(ProductType, type_id) is None:
        session.add(
            ProductType(id=type_id, code=PRODUCT_TYPE_CODE, name=PRODUCT_TYPE, characteristics=list(CHARACTERISTICS))
        )
    return type_id


async def _ensure_exclusion_set(session: AsyncSession, now: datetime) -> str:
    set_id = await session.scalar(select(ExclusionSet.id).where(ExclusionSet.name == EXCLUSION_SET))
    if set_id is None:
        set_id = derived_id("exclusion-set", EXCLUSION_SET)
        session.add(ExclusionSet(id=set_id, name=EXCLUSION_SET, created_at=now))
    return set_id


async def _sync_product(
    session: AsyncSession, seed: SeedProduct, type_id: str, set_id: str, now: datetime, counts: SyncCounts
) -> None:
    record = seed.record
    product = await session.get(Product, record.id)
    if product is None:
        session.add(
            Product(
                id=record.id,
                code=record.code,
                product_type_id=type_id,
                description=seed.description,
                marketing_text=seed.marketing_text,
                exclusion_set_id=set_id,
                created_at=now,
            )
        )
        counts.products_created += 1
        await session.flush()
    counts.versions_written += await _sync_versions(session, record, now)
    counts.commitments_written += await _sync_commitments(session, record, now)


async def _sync_versions(session: AsyncSession, record: ProductRecord, now: datetime) -> int:
    """Vendor names are authoritative: a version that differs from the definition is brought in line."""
    written = 0
    for version in record.versions:
        rule = version.new_partner_rule
        wanted = {
            "name": version.name,
            "tier": version.tier,
            "orderable_before": version.orderable_before,
            "restricted_countries": ",".join(rule.countries) if rule else None,
            "restricted_partners_since": rule.partners_since if rule else None,
        }
        row = await session.get(ProductVersionRow, (record.id, version.effective_from))
        if row is None:
            session.add(
                ProductVersionRow(
                    product_id=record.id, effective_from=version.effective_from, recorded_at=now, **wanted
                )
            )
            written += 1
        elif any(getattr(row, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(row, key, value)
            row.recorded_at = now
            written += 1
    return written


async def _sync_commitments(session: AsyncSession, record: ProductRecord, now: datetime) -> int:
    """Missing commitments are added; one an admin set for the same currency and date is left alone."""
    written = 0
    for commitment in record.commitments:
        if await session.get(CommitmentRow, (record.id, commitment.currency, commitment.effective_from)) is None:
            session.add(
                CommitmentRow(
                    product_id=record.id,
                    currency=commitment.currency,
                    effective_from=commitment.effective_from,
                    amount=commitment.amount,
                    recorded_at=now,
                )
            )
            written += 1
    return written


async def _sync_skus(session: AsyncSession, seed: SeedCatalog, type_id: str, counts: SyncCounts) -> None:
    for item in seed.skus:
        if await session.get(UsageSkuRow, item.spec.sku) is None:
            spec = item.spec
            session.add(
                UsageSkuRow(
                    sku=spec.sku,
                    product_type_id=type_id,
                    name=spec.name,
                    unit=spec.unit,
                    aggregation=spec.aggregation,
                    description=item.description,
                    effective_from=spec.effective_from,
                )
            )
            counts.skus_created += 1


async def _sync_prices(
    session: AsyncSession, outbox: Outbox, seed: SeedCatalog, effective_at: datetime, now: datetime
) -> int:
    book = await vendor_sell_book(session, now)
    existing = {
        (r.product_id, r.sku, r.currency, r.effective_from)
        for r in (
            await session.execute(
                select(
                    PriceEntryRow.product_id, PriceEntryRow.sku, PriceEntryRow.currency, PriceEntryRow.effective_from
                ).where(PriceEntryRow.price_book_id == book.id)
            )
        ).all()
    }
    missing: dict[date, list[NewPrice]] = defaultdict(list)
    for price in seed.prices:
        if (price.product_id, price.sku, price.currency, price.effective_from) not in existing:
            missing[price.effective_from].append(
                NewPrice(price.product_id, price.sku, price.currency, price.unit_price)
            )
    if not missing:
        return 0
    records = {r.id: r for r in await load_records(session, [p.record.id for p in seed.products])}
    for effective_from in sorted(missing):
        await publish_prices(
            session,
            outbox,
            book,
            effective_from,
            missing[effective_from],
            records,
            adjustment=None,
            effective_at=effective_at,
            now=now,
        )
    return sum(len(prices) for prices in missing.values())


async def _ensure_group(session: AsyncSession, seed: SeedCatalog, now: datetime) -> None:
    """The storefront group of the contract products, published, with every seeded product in it."""
    group_id = derived_id("group", GROUP_NAME)
    group = await session.get(ProductGroup, group_id)
    if group is None:
        taken = await session.scalar(select(ProductGroup.id).where(ProductGroup.name == GROUP_NAME))
        if taken is not None:  # an admin made a group of that name: leave the storefront as they arranged it
            return
        session.add(
            ProductGroup(
                id=group_id,
                name=GROUP_NAME,
                category=GROUP_CATEGORY,
                marketing_text=GROUP_MARKETING,
                published=True,
                published_at=now,
                created_at=now,
            )
        )
        await session.flush()
    members = set(
        (
            await session.scalars(select(ProductGroupMember.product_id).where(ProductGroupMember.group_id == group_id))
        ).all()
    )
    for position, product in enumerate(seed.products):
        if product.record.id not in members:
            session.add(ProductGroupMember(group_id=group_id, product_id=product.record.id, position=position))
