"""Routes of the catalog's structure: product types with their characteristics, exclusion sets, product history."""

from __future__ import annotations

from fastapi import APIRouter

from bss.api.caller import Admin, CurrentCaller
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from catalog.api import mapping
from catalog.api.product_paths import SeededProductId
from catalog.api.responses import problems
from catalog.api.schemas import ExclusionSetRead, ProductHistoryRead, ProductTypeCreate, ProductTypeRead
from catalog.deps import RuntimeDep, use_case
from catalog.usecases import structure_reads as reads
from catalog.usecases.products import create_product_type

router = APIRouter(prefix="/v1", tags=["catalog structure"], route_class=JsonBodyRoute)


@router.get(
    "/product-types",
    summary="Product types and their characteristics",
    response_model=list[ProductTypeRead],
)
async def get_product_types(runtime: RuntimeDep, _caller: CurrentCaller) -> list[ProductTypeRead]:
    """Every product type with the characteristics its products are described by (the Acronis contracts: Tier).
    Any signed-in caller but a storefront or usage collector may read them."""
    return [mapping.to_product_type_read(t) for t in await reads.product_types(runtime)]


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
    """Create a product type, the family products and usage SKUs belong to, with its characteristics. 409 when
    its code or name is taken already. Admins only."""
    request = IdempotentRequest.of(
        key, caller=caller.subject, route="create-product-type", body=body.model_dump(mode="json")
    )
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_product_type_read(await create_product_type(ctx, mapping.to_create_product_type(body), request))


@router.get(
    "/exclusion-sets",
    summary="Mutually exclusive sets with their products",
    response_model=list[ExclusionSetRead],
)
async def get_exclusion_sets(runtime: RuntimeDep, _caller: CurrentCaller) -> list[ExclusionSetRead]:
    """Every exclusion set with its products: a reseller holds at most one live subscription among a set's
    products (the Acronis contract tiers are `acronis-csp-contracts`). Any signed-in caller but a storefront or
    usage collector may read them."""
    return [mapping.to_exclusion_set_read(members) for members in await reads.exclusion_sets(runtime)]


@router.get(
    "/products/{product_id}/history",
    summary="Every dated version and commitment of a product",
    response_model=ProductHistoryRead,
    responses=problems(404),
)
async def get_history(runtime: RuntimeDep, _caller: CurrentCaller, product_id: SeededProductId) -> ProductHistoryRead:
    """Every dated version (name, tier, availability) and commitment of a product, oldest first, and its
    deactivation day: what the as-of reads are computed from (the example shows the January 2024 rename of Tier 2
    to Tier 3). 404 for an unknown product. Any signed-in caller but a storefront or usage collector may read it."""
    return mapping.to_product_history_read(await reads.product_history(runtime, product_id))
