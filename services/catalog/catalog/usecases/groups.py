"""Use cases of product groups and their storefront publishing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.idempotency import IdempotentRequest
from bss.problems import field_error
from catalog.errors import AlreadyExists, GroupNotFound, UnknownReference
from catalog.models import Product, ProductGroup, ProductGroupMember
from catalog.runtime import CatalogRuntime, CatalogUseCase
from catalog.usecases.context import create_once, note


@dataclass(frozen=True, slots=True)
class CreateGroup:
    name: str
    category: str
    marketing_text: str
    product_ids: tuple[str, ...]  # in storefront order; a repeated id counts once


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    category: str
    marketing_text: str
    published: bool
    published_at: datetime | None
    product_ids: tuple[str, ...]


async def create_group(ctx: CatalogUseCase, command: CreateGroup, request: IdempotentRequest | None) -> Group:
    async def work(session: AsyncSession) -> Group:
        if await session.scalar(select(ProductGroup.id).where(ProductGroup.name == command.name)) is not None:
            raise AlreadyExists(f"A group named {command.name} exists already.", errors=[field_error("name", "taken")])
        for index, product_id in enumerate(command.product_ids):
            if await session.get(Product, product_id) is None:
                raise UnknownReference(f"product_ids.{index}", f"no product {product_id}")
        group = ProductGroup(
            id=str(uuid.uuid4()),
            name=command.name,
            category=command.category,
            marketing_text=command.marketing_text,
            published=False,
            created_at=ctx.now,
        )
        session.add(group)
        await session.flush()
        session.add_all(
            ProductGroupMember(group_id=group.id, product_id=pid, position=i)
            for i, pid in enumerate(dict.fromkeys(command.product_ids))
        )
        note(ctx, session, "group_created", group.id)
        return _read(group, list(dict.fromkeys(command.product_ids)))

    return await create_once(ctx, request, Group, work)


async def set_published(ctx: CatalogUseCase, group_id: str, published: bool) -> Group:
    async with ctx.transaction() as session:
        group = await session.get(ProductGroup, group_id)
        if group is None:
            raise GroupNotFound(group_id)
        if group.published != published:
            group.published = published
            group.published_at = ctx.effective if published else None
            note(ctx, session, "group_published" if published else "group_unpublished", group_id)
        return _read(group, await _members(session, group_id))


async def list_groups(runtime: CatalogRuntime) -> list[Group]:
    """Every group, published or not, by name."""
    async with runtime.sessions() as session:
        groups = (await session.scalars(select(ProductGroup).order_by(ProductGroup.name))).all()
        return [_read(group, await _members(session, group.id)) for group in groups]


async def _members(session: AsyncSession, group_id: str) -> list[str]:
    query = select(ProductGroupMember.product_id).where(ProductGroupMember.group_id == group_id)
    return list((await session.scalars(query.order_by(ProductGroupMember.position))).all())


def _read(group: ProductGroup, product_ids: list[str]) -> Group:
    return Group(
        id=group.id,
        name=group.name,
        category=group.category,
        marketing_text=group.marketing_text,
        published=group.published,
        published_at=group.published_at,
        product_ids=tuple(product_ids),
    )
