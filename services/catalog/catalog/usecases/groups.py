"""Use cases of product groups and their storefront publishing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.idempotency import IdempotentRequest
from bss.problems import field_error
from catalog.api.group_schemas import GroupCreate
from catalog.errors import AlreadyExists, GroupNotFound, UnknownReference
from catalog.models import Product, ProductGroup, ProductGroupMember
from catalog.usecases.context import WriteContext, create_once, in_transaction


async def create_group(ctx: WriteContext, data: GroupCreate, request: IdempotentRequest | None) -> dict[str, Any]:
    async def work(session: AsyncSession) -> dict[str, Any]:
        if await session.scalar(select(ProductGroup.id).where(ProductGroup.name == data.name)) is not None:
            raise AlreadyExists(f"A group named {data.name} exists already.", errors=[field_error("name", "taken")])
        for index, product_id in enumerate(data.product_ids):
            if await session.get(Product, product_id) is None:
                raise UnknownReference(f"product_ids.{index}", f"no product {product_id}")
        group = ProductGroup(
            id=str(uuid.uuid4()),
            name=data.name,
            category=data.category,
            marketing_text=data.marketing_text,
            published=False,
            created_at=ctx.now,
        )
        session.add(group)
        await session.flush()
        session.add_all(
            ProductGroupMember(group_id=group.id, product_id=pid, position=i)
            for i, pid in enumerate(dict.fromkeys(data.product_ids))
        )
        ctx.note(session, "group_created", group.id)
        return _read(group, list(dict.fromkeys(data.product_ids)))

    return await create_once(ctx, request, work)


async def set_published(ctx: WriteContext, group_id: str, published: bool) -> dict[str, Any]:
    async def work(session: AsyncSession) -> dict[str, Any]:
        group = await session.get(ProductGroup, group_id)
        if group is None:
            raise GroupNotFound(group_id)
        if group.published != published:
            group.published = published
            group.published_at = ctx.instants.effective if published else None
            ctx.note(session, "group_published" if published else "group_unpublished", group_id)
        return _read(group, await members(session, group_id))

    result: dict[str, Any] = await in_transaction(ctx, work)
    return result


async def members(session: AsyncSession, group_id: str) -> list[str]:
    query = select(ProductGroupMember.product_id).where(ProductGroupMember.group_id == group_id)
    return list((await session.scalars(query.order_by(ProductGroupMember.position))).all())


async def list_groups(session: AsyncSession) -> list[dict[str, Any]]:
    groups = (await session.scalars(select(ProductGroup).order_by(ProductGroup.name))).all()
    return [_read(group, await members(session, group.id)) for group in groups]


def _read(group: ProductGroup, product_ids: list[str]) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "category": group.category,
        "marketing_text": group.marketing_text,
        "published": group.published,
        "published_at": group.published_at.isoformat() if group.published_at else None,
        "product_ids": product_ids,
    }
