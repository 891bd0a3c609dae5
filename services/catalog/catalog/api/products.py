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
from catalog.api.examples import FILES_EXCLUSION_SET
from catalog.api.product_paths import ExampleProductId, RegionRuleProductId, SeededProductId
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
from catalog.deps import RuntimeDep, use_case
from catalog.domain.eligibility import ResellerProfile
from catalog.usecases import products as use
from catalog.usecases.product_reads import eligibility, list_products, product_read
from catalog.usecases.seed import sync_definition

router = APIRouter(prefix="/v1", tags=["products"], route_class=JsonBodyRoute)
AsOf = Annotated[date | None, Query(description="Answer as of this date (YYYY-MM-DD); default today.")]
BEFORE_RENAMES = {"before": {"summary": "Before the January 2024 renames", "value": "2023-12-31"}}


@router.get("/products", summary="Products as of a date", response_model=Page[ProductRead], responses=problems(422))
async def get_products(
    runtime: RuntimeDep,
    _caller: CurrentCaller,
    as_of: AsOf = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ProductRead]:
    """Every product that exists on `as_of` (today when left out), by code, each with its name, tier,
    commitments and availability on that day; deactivated products are listed with their state. `next_cursor`
    leads to the next page. Any signed-in caller but a storefront or usage collector may read the catalog."""
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
    runtime: RuntimeDep,
    _caller: CurrentCaller,
    product_id: SeededProductId,
    as_of: Annotated[
        date | None, Query(description="Answer as of this date; default today.", openapi_examples=BEFORE_RENAMES)
    ] = None,
) -> ProductRead:
    """One product as it was on `as_of` (today when left out): its name and tier then (the vendor renamed the
    tiers in January 2024), its commitments, availability, upgrades and state. 404 for an unknown product or a
    day before it existed. Any signed-in caller but a storefront or usage collector may read it."""
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
    product_id: RegionRuleProductId,
    reseller_country: Annotated[
        str,
        Query(
            pattern=r"^[A-Za-z]{2}$",
            description="ISO 3166-1 alpha-2",
            openapi_examples={"us": {"summary": "A reseller in the US", "value": "US"}},
        ),
    ],
    partner_since: Annotated[
        date,
        Query(
            description="When the reseller became a partner",
            openapi_examples={"new": {"summary": "A partner since mid-2024", "value": "2024-06-01"}},
        ),
    ],
    on: Annotated[
        date | None,
        Query(description="Order date; default today", openapi_examples={"day": {"value": "2025-01-01"}}),
    ] = None,
) -> EligibilityRead:
    """Whether a reseller of this country, a partner since that day, may order the product on `on` (today when
    left out), with every reason when not: the product does not exist yet, is deactivated, its purchase window
    has closed (Promo from 2023-11-01), or the Tier 1 region rule refuses new partners in AU, GB, IE and US. The
    example answers `orderable: false` for that rule. 404 for an unknown product. Any signed-in caller but a
    storefront or usage collector may ask."""
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
    """Create a product of an existing product type with its first version (name, tier, availability) and its
    monthly commitments, from `effective_from` (today when left out); its id is derived from its code. Refused:
    a code taken already (409), an unknown product type or exclusion set, a currency given twice or one without a
    vendor price list (422). The product is announced to the other services. Admins only."""
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
async def patch_product(
    product_id: ExampleProductId, body: ProductUpdate, runtime: RuntimeDep, caller: Admin
) -> ProductRead:
    """Replace the product's description or marketing text (a field left out stays as it is). These texts are
    not effective-dated and not part of the definition the other services learn. 404 for an unknown product.
    Admins only."""
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
    product_id: ExampleProductId, body: VersionCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None
) -> ProductRead:
    """From `effective_from` on, the product has this name, tier and availability (purchase window, new-partner
    region rule); days before keep theirs. Answers the product as of that day. Refused: an unknown product (404),
    a version from that day already (422). The change is announced to the other services. Admins only."""
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
    product_id: ExampleProductId,
    body: CommitmentsCreate,
    runtime: RuntimeDep,
    caller: Admin,
    key: IdempotencyKey = None,
) -> ProductRead:
    """From `effective_from` on, the product's monthly minimum commitment in each given currency is this amount;
    currencies not given keep theirs. Answers the product as of that day. Refused: an unknown product (404), a
    currency given twice, one without a vendor price list, or a commitment in that currency from that day already
    (422). The change is announced to the other services. Admins only."""
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
async def post_deactivate(
    product_id: ExampleProductId, body: Deactivation, runtime: RuntimeDep, caller: Admin
) -> ProductRead:
    """From `effective_from` on (today when left out), the product cannot be ordered and no subscription may move
    to it; subscriptions already on it go on. Answers the product as of that day. Refused: an unknown product
    (404), one deactivated already (409). The deactivation is announced to the other services. Admins only."""
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_product_read(await use.deactivate_product(ctx, product_id, mapping.to_deactivate_product(body)))


@router.put(
    "/exclusion-sets/{name}",
    summary="Create or replace a mutually exclusive set",
    response_model=ExclusionSetRead,
    responses=problems(422),
)
async def put_exclusion_set(
    name: Annotated[
        str,
        Path(
            min_length=1,
            max_length=200,
            description="The set's name.",
            openapi_examples={"files": {"summary": "The example product line's set", "value": FILES_EXCLUSION_SET}},
        ),
    ],
    body: ExclusionSetPut,
    runtime: RuntimeDep,
    caller: Admin,
) -> ExclusionSetRead:
    """Create the set, or replace its members: a reseller may hold at most one active subscription among the
    products of a set (the Acronis contract tiers are one). A product belongs to one set at most, so naming it
    here takes it out of its former set; members and former members are announced to the other services. 422
    for an unknown product. Admins only."""
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
    """Load the Acronis services definition: the product type, the contract tiers with their history (the January
    2024 renames, Tier 2 and Tier 7), commitments, usage SKUs, sell prices, the contract tiers' exclusion set and
    storefront group, and announce the products to the other services. Idempotent: running it again changes
    nothing (`changed: false`); with `known_on`, only what the vendor had published by then, and a later run adds
    the rest. Names follow the vendor; commitments and texts an admin changed are left alone. Admins only."""
    ctx = use_case(runtime, caller, body.requested_at)
    return (await sync_definition(ctx, body.known_on)).as_dict()
