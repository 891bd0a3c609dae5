"""Use cases that change products: create, update, version, commit, deactivate, group into exclusion sets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.idempotency import IdempotentRequest
from bss.events.contracts.catalog import ProductDeactivatedV1
from bss.problems import field_error
from catalog.adapters.publisher import publish_definitions
from catalog.domain.product_identity import derived_id, product_id_for
from catalog.errors import AlreadyDeactivated, AlreadyExists, OverlappingPeriod, ProductNotFound, UnknownReference
from catalog.models import CommitmentRow, ExclusionSet, Product, ProductType, ProductVersionRow
from catalog.runtime import CatalogUseCase
from catalog.usecases.context import create_once, note
from catalog.usecases.product_reads import Commitment, ProductAsOf, Restriction, product_as_of


@dataclass(frozen=True, slots=True)
class CreateProduct:
    code: str
    name: str
    tier: str
    product_type: str  # the product type's code
    description: str
    marketing_text: str
    effective_from: date | None  # None: the day of the change
    commitments: tuple[Commitment, ...]
    orderable_before: date | None
    new_partner_restriction: Restriction | None
    exclusion_set: str | None  # the name of an existing set


@dataclass(frozen=True, slots=True)
class CreateProductType:
    code: str
    name: str
    characteristics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProductTypeDetails:
    id: str
    code: str
    name: str
    characteristics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UpdateProduct:
    """None leaves a text as it is."""

    description: str | None
    marketing_text: str | None


@dataclass(frozen=True, slots=True)
class AddVersion:
    effective_from: date
    name: str
    tier: str
    orderable_before: date | None
    new_partner_restriction: Restriction | None


@dataclass(frozen=True, slots=True)
class AddCommitments:
    effective_from: date
    commitments: tuple[Commitment, ...]


@dataclass(frozen=True, slots=True)
class DeactivateProduct:
    effective_from: date | None  # None: the day of the change
    reason: str | None


@dataclass(frozen=True, slots=True)
class ReplaceExclusionSet:
    product_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExclusionSetMembers:
    name: str
    product_ids: tuple[str, ...]


async def create_product(ctx: CatalogUseCase, command: CreateProduct, request: IdempotentRequest | None) -> ProductAsOf:
    async def work(session: AsyncSession) -> ProductAsOf:
        product_id = product_id_for(command.code)
        if await session.get(Product, product_id) is not None:
            raise AlreadyExists(
                f"A product with code {command.code} exists already.", errors=[field_error("code", "taken")]
            )
        type_id = await session.scalar(select(ProductType.id).where(ProductType.code == command.product_type))
        if type_id is None:
            raise UnknownReference("product_type", f"no product type '{command.product_type}'")
        set_id = await _exclusion_set_id(session, command.exclusion_set, "exclusion_set")
        start = command.effective_from or ctx.today
        session.add(
            Product(
                id=product_id,
                code=command.code,
                product_type_id=type_id,
                description=command.description,
                marketing_text=command.marketing_text,
                exclusion_set_id=set_id,
                created_at=ctx.now,
            )
        )
        await session.flush()
        _check_currencies_once(command.commitments)
        _add_version(
            session,
            ctx,
            product_id,
            start,
            command.name,
            command.tier,
            command.orderable_before,
            command.new_partner_restriction,
        )
        for commitment in command.commitments:
            session.add(
                CommitmentRow(
                    product_id=product_id,
                    currency=commitment.currency,
                    effective_from=start,
                    amount=commitment.amount,
                    recorded_at=ctx.now,
                )
            )
        await session.flush()
        await publish_definitions(session, ctx.runtime.outbox, [product_id], now=ctx.now)
        note(ctx, session, "product_created", product_id)
        return await product_as_of(session, product_id, start)

    return await create_once(ctx, request, ProductAsOf, work)


async def create_product_type(
    ctx: CatalogUseCase, command: CreateProductType, request: IdempotentRequest | None
) -> ProductTypeDetails:
    async def work(session: AsyncSession) -> ProductTypeDetails:
        taken = await session.scalar(
            select(ProductType.id).where((ProductType.code == command.code) | (ProductType.name == command.name))
        )
        if taken is not None:
            raise AlreadyExists(
                f"A product type {command.code} or named {command.name} exists already.",
                errors=[field_error("code", "taken")],
            )
        type_id = derived_id("product-type", command.code)
        session.add(
            ProductType(id=type_id, code=command.code, name=command.name, characteristics=list(command.characteristics))
        )
        note(ctx, session, "product_type_created", type_id)
        return ProductTypeDetails(type_id, command.code, command.name, tuple(command.characteristics))

    return await create_once(ctx, request, ProductTypeDetails, work)


async def update_product(ctx: CatalogUseCase, product_id: str, command: UpdateProduct) -> ProductAsOf:
    """Description and marketing text are not effective-dated and not part of the published definition."""

    async with ctx.transaction() as session:
        product = await _product(session, product_id)
        if command.description is not None:
            product.description = command.description
        if command.marketing_text is not None:
            product.marketing_text = command.marketing_text
        note(ctx, session, "product_updated", product_id)
        return await product_as_of(session, product_id, ctx.today)


async def add_version(
    ctx: CatalogUseCase, product_id: str, command: AddVersion, request: IdempotentRequest | None
) -> ProductAsOf:
    async def work(session: AsyncSession) -> ProductAsOf:
        await _product(session, product_id)
        if await session.get(ProductVersionRow, (product_id, command.effective_from)) is not None:
            raise OverlappingPeriod(
                "effective_from", f"the product already has a version from {command.effective_from}"
            )
        _add_version(
            session,
            ctx,
            product_id,
            command.effective_from,
            command.name,
            command.tier,
            command.orderable_before,
            command.new_partner_restriction,
        )
        await session.flush()
        await publish_definitions(session, ctx.runtime.outbox, [product_id], now=ctx.now)
        note(ctx, session, "product_version_added", product_id)
        return await product_as_of(session, product_id, command.effective_from)

    return await create_once(ctx, request, ProductAsOf, work)


async def add_commitments(
    ctx: CatalogUseCase, product_id: str, command: AddCommitments, request: IdempotentRequest | None
) -> ProductAsOf:
    async def work(session: AsyncSession) -> ProductAsOf:
        await _product(session, product_id)
        _check_currencies_once(command.commitments)
        for index, commitment in enumerate(command.commitments):
            key = (product_id, commitment.currency, command.effective_from)
            if await session.get(CommitmentRow, key) is not None:
                raise OverlappingPeriod(
                    f"commitments.{index}.currency",
                    f"a {commitment.currency} commitment from {command.effective_from} exists already",
                )
            session.add(
                CommitmentRow(
                    product_id=product_id,
                    currency=commitment.currency,
                    effective_from=command.effective_from,
                    amount=commitment.amount,
                    recorded_at=ctx.now,
                )
            )
        await session.flush()
        await publish_definitions(session, ctx.runtime.outbox, [product_id], now=ctx.now)
        note(ctx, session, "commitments_added", product_id)
        return await product_as_of(session, product_id, command.effective_from)

    return await create_once(ctx, request, ProductAsOf, work)


async def deactivate_product(ctx: CatalogUseCase, product_id: str, command: DeactivateProduct) -> ProductAsOf:
    async with ctx.transaction() as session:
        product = await _product(session, product_id)
        if product.deactivated_on is not None:
            raise AlreadyDeactivated(product_id)
        product.deactivated_on = command.effective_from or ctx.today
        product.deactivation_reason = command.reason
        event = ProductDeactivatedV1(
            product_id=product_id, effective_from=product.deactivated_on, reason=command.reason
        )
        await ctx.runtime.outbox.add(session, event, now=ctx.now)
        note(ctx, session, "product_deactivated", product_id)
        return await product_as_of(session, product_id, product.deactivated_on)


async def put_exclusion_set(ctx: CatalogUseCase, name: str, command: ReplaceExclusionSet) -> ExclusionSetMembers:
    """Replace a set's members (creating the set if new); members and former members are republished."""

    async with ctx.transaction() as session:
        ids = [str(pid) for pid in command.product_ids]
        for index, pid in enumerate(ids):
            if await session.get(Product, pid) is None:
                raise UnknownReference(f"product_ids.{index}", f"no product {pid}")
        set_id = await session.scalar(select(ExclusionSet.id).where(ExclusionSet.name == name))
        if set_id is None:
            set_id = str(uuid.uuid4())
            session.add(ExclusionSet(id=set_id, name=name, created_at=ctx.now))
            await session.flush()
        former = set((await session.scalars(select(Product.id).where(Product.exclusion_set_id == set_id))).all())
        await session.execute(update(Product).where(Product.exclusion_set_id == set_id).values(exclusion_set_id=None))
        await session.execute(update(Product).where(Product.id.in_(ids)).values(exclusion_set_id=set_id))
        await publish_definitions(session, ctx.runtime.outbox, former | set(ids), now=ctx.now)
        note(ctx, session, "exclusion_set_replaced", name)
        return ExclusionSetMembers(name, tuple(sorted(ids)))


async def _product(session: AsyncSession, product_id: str) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(product_id)
    return product


async def _exclusion_set_id(session: AsyncSession, name: str | None, field: str) -> str | None:
    if name is None:
        return None
    set_id = await session.scalar(select(ExclusionSet.id).where(ExclusionSet.name == name))
    if set_id is None:
        raise UnknownReference(field, f"no exclusion set '{name}'")
    return set_id


def _check_currencies_once(commitments: Sequence[Commitment]) -> None:
    seen: set[str] = set()
    for index, commitment in enumerate(commitments):
        if commitment.currency in seen:
            raise OverlappingPeriod(f"commitments.{index}.currency", f"{commitment.currency} is given twice")
        seen.add(commitment.currency)


def _add_version(
    session: AsyncSession,
    ctx: CatalogUseCase,
    product_id: str,
    start: date,
    name: str,
    tier: str,
    orderable_before: date | None,
    restriction: Restriction | None,
) -> None:
    session.add(
        ProductVersionRow(
            product_id=product_id,
            effective_from=start,
            name=name,
            tier=tier,
            orderable_before=orderable_before,
            restricted_countries=",".join(sorted(c.upper() for c in restriction.countries)) if restriction else None,
            restricted_partners_since=restriction.partners_since if restriction else None,
            recorded_at=ctx.now,
        )
    )
