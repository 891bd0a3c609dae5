"""Routes of products: as-of reads, eligibility, and the admin writes (create, update, version, deactivate)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from bss.api.caller import Admin, CurrentCaller
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from catalog.api import mapping
from catalog.api.responses import problems
from catalog.api.schemas import (
    CommitmentsCreate,
    Deactivation,
    EligibilityRead,
    ExclusionSetPut,
    ExclusionSetRead,
    ProductCreate,
    ProductRead,
    ProductUpdate,
    ReasonRead,
    SyncReport,
    SyncRequest,
    VersionCreate,
)
from catalog.deps import ProductId, RuntimeDep, use_case
from catalog.domain.eligibility import ResellerProfile
from catalog.usecases import products as use
from catalog.usecases.product_reads import eligibility, list_products, product_read
from catalog.usecases.seed import sync_definition

router = APIRouter(prefix="/v1", tags=["products"], route_class=JsonBodyRoute)
AsOf = Annotated[date | None, Query(description="Answer as of this date (YYYY-MM-DD); default today.")]


@router.get("/products", summary="Products as of a date", response_model=Page[ProductRead], responses=problems(422))
async def get_products(
    runtime: RuntimeDep,
    _caller: CurrentCaller,
    as_of: AsOf = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ProductRead]:
    after = decode_cursor(cursor)
    on = as_of or runtime.clock.now().date()
    found = await list_products(runtime, on, str(after[0]) if after else None, limit)
    next_cursor = encode_cursor([found[limit - 1].code]) if len(found) > limit else None
    return Page[ProductRead](items=[mapping.to_product_read(p) for p in found[:limit]], next_cursor=next_cursor)


@router.get(
    "/products/{product_id}",
    summary="One product as of a date",
    response_model=ProductRead,
    responses=problems(404, 422),
)
async def get_product(
    runtime: RuntimeDep, _caller: CurrentCaller, product_id: ProductId, as_of: AsOf = None
) -> ProductRead:
    return mapping.to_product_read(await product_read(runtime, product_id, as_of or runtime.clock.now().date()))


@router.get(
    "/products/{product_id}/eligibility",
    summary="Whether a reseller may order the product on a date, with every reason when not",
    response_model=EligibilityRead,
    responses=problems(404, 422),
)
async def get_eligibility(
    runtime: RuntimeDep,
    _caller: CurrentCaller,
    product_id: ProductId,
    reseller_country: Annotated[str, Query(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")],
    partner_since: Annotated[date, Query(description="When the reseller became a partner")],
    on: Annotated[date | None, Query(description="Order date; default today")] = None,
) -> EligibilityRead:
    day = on or runtime.clock.now().date()
    result = await eligibility(runtime, product_id, ResellerProfile(reseller_country, partner_since), day)
    return EligibilityRead(
        product_id=product_id,
        on=day,
        orderable=result.orderable,
        reasons=[ReasonRead(code=r.code.value, message=r.message) for r in result.reasons],
    )


@router.post(
    "/products", status_code=201, summary="Create a product", response_model=ProductRead, responses=problems(409, 422)
)
async def post_product(
    body: ProductCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None
) -> ProductRead:
    request = IdempotentRequest.of(
        key, caller=caller.subject, route="create-product", body=body.model_dump(mode="json")
    )
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_product_read(await use.create_product(ctx, mapping.to_create_product(body), request))


@router.patch(
    "/products/{product_id}",
    summary="Update description or marketing text",
    response_model=ProductRead,
    responses=problems(404, 422),
)
async def patch_product(product_id: ProductId, body: ProductUpdate, runtime: RuntimeDep, caller: Admin) -> ProductRead:
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_product_read(await use.update_product(ctx, product_id, mapping.to_update_product(body)))


@router.post(
    "/products/{product_id}/versions",
    status_code=201,
    summary="Add an effective-dated version (name, tier, availability)",
    response_model=ProductRead,
    responses=problems(404, 422),
)
async def post_version(
    product_id: ProductId, body: VersionCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None
) -> ProductRead:
    request = IdempotentRequest.of(
        key, caller=caller.subject, route=f"version:{product_id}", body=body.model_dump(mode="json")
    )
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_product_read(await use.add_version(ctx, product_id, mapping.to_add_version(body), request))


@router.post(
    "/products/{product_id}/commitments",
    status_code=201,
    summary="Set minimum commitments from a date",
    response_model=ProductRead,
    responses=problems(404, 422),
)
async def post_commitments(
    product_id: ProductId, body: CommitmentsCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None
) -> ProductRead:
    request = IdempotentRequest.of(
        key, caller=caller.subject, route=f"commitments:{product_id}", body=body.model_dump(mode="json")
    )
    ctx = use_case(runtime, caller, body.requested_at)
    command = mapping.to_add_commitments(body)
    return mapping.to_product_read(await use.add_commitments(ctx, product_id, command, request))


@router.post(
    "/products/{product_id}/deactivate",
    summary="Deactivate a product from a date",
    response_model=ProductRead,
    responses=problems(404, 409, 422),
)
async def post_deactivate(product_id: ProductId, body: Deactivation, runtime: RuntimeDep, caller: Admin) -> ProductRead:
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_product_read(await use.deactivate_product(ctx, product_id, mapping.to_deactivate_product(body)))


@router.put(
    "/exclusion-sets/{name}",
    summary="Create or replace a mutually exclusive set",
    response_model=ExclusionSetRead,
    responses=problems(422),
)
async def put_exclusion_set(
    name: Annotated[str, Path(min_length=1, max_length=200)], body: ExclusionSetPut, runtime: RuntimeDep, caller: Admin
) -> ExclusionSetRead:
    ctx = use_case(runtime, caller, body.requested_at)
    members = await use.put_exclusion_set(ctx, name, mapping.to_replace_exclusion_set(body))
    return mapping.to_exclusion_set_read(members)


@router.post(
    "/admin/services-definition/sync",
    summary="Load the Acronis services definition (idempotent)",
    response_model=SyncReport,
    responses=problems(422),
)
async def post_sync(body: SyncRequest, runtime: RuntimeDep, caller: Admin) -> Any:
    ctx = use_case(runtime, caller, body.requested_at)
    return (await sync_definition(ctx, body.known_on)).as_dict()
