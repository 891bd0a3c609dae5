"""Routes of the catalog's structure: product types with their characteristics, exclusion sets, product history."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from bss.api.caller import Admin, CurrentCaller
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from catalog.api import mapping
from catalog.api.responses import problems
from catalog.api.schemas import (
    DatedCommitmentRead,
    ExclusionSetRead,
    ProductHistoryRead,
    ProductTypeCreate,
    ProductTypeRead,
    RestrictionRead,
    VersionRead,
)
from catalog.deps import ProductId, RuntimeDep, Session, writer
from catalog.models import CommitmentRow, ExclusionSet, Product, ProductType, ProductVersionRow
from catalog.repository import version_of
from catalog.usecases.products import create_product_type

router = APIRouter(prefix="/v1", tags=["catalog structure"], route_class=JsonBodyRoute)


@router.get(
    "/product-types",
    summary="Product types and their characteristics",
    response_model=list[ProductTypeRead],
)
async def get_product_types(session: Session, _caller: CurrentCaller) -> list[ProductTypeRead]:
    rows = (await session.scalars(select(ProductType).order_by(ProductType.code))).all()
    return [ProductTypeRead(id=t.id, code=t.code, name=t.name, characteristics=list(t.characteristics)) for t in rows]


@router.post(
    "/product-types",
    status_code=201,
    summary="Create a product type",
    response_model=ProductTypeRead,
    responses=problems(409, 422),
)
async def post_product_type(
    body: ProductTypeCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None
) -> ProductTypeRead:
    request = IdempotentRequest.of(
        key, caller=caller.subject, route="create-product-type", body=body.model_dump(mode="json")
    )
    ctx = writer(runtime, caller, body.requested_at)
    return mapping.to_product_type_read(await create_product_type(ctx, mapping.to_create_product_type(body), request))


@router.get(
    "/exclusion-sets",
    summary="Mutually exclusive sets with their products",
    response_model=list[ExclusionSetRead],
)
async def get_exclusion_sets(session: Session, _caller: CurrentCaller) -> list[ExclusionSetRead]:
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
    return [ExclusionSetRead(name=name, product_ids=ids) for name, ids in found.items()]


@router.get(
    "/products/{product_id}/history",
    summary="Every dated version and commitment of a product",
    response_model=ProductHistoryRead,
    responses=problems(404),
)
async def get_history(session: Session, _caller: CurrentCaller, product_id: ProductId) -> ProductHistoryRead:
    product = await session.get(Product, product_id)
    assert product is not None  # ProductId loaded it
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
    return ProductHistoryRead(
        id=product.id,
        code=product.code,
        versions=[_version(row) for row in versions],
        commitments=[
            DatedCommitmentRead(currency=c.currency, amount=c.amount, effective_from=c.effective_from)
            for c in commitments
        ],
        deactivated_on=product.deactivated_on,
    )


def _version(row: ProductVersionRow) -> VersionRead:
    version = version_of(row)
    rule = version.new_partner_rule
    return VersionRead(
        effective_from=version.effective_from,
        name=version.name,
        tier=version.tier,
        orderable_before=version.orderable_before,
        new_partner_restriction=(
            RestrictionRead(countries=list(rule.countries), partners_since=rule.partners_since) if rule else None
        ),
    )
