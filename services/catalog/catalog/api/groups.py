"""Routes of product groups and the storefront catalog."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from bss.api.caller import Admin, require_roles
from bss.api.encoded_answers import encoded_response
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.identity import Role
from catalog.api import mapping
from catalog.api.examples import GROUP_ID
from catalog.api.group_schemas import GroupCreate, GroupPublish, GroupRead, StorefrontCatalog
from catalog.api.responses import NOT_MODIFIED, problems
from catalog.deps import RuntimeDep, StorefrontCacheDep, use_case
from catalog.usecases import groups as use

router = APIRouter(prefix="/v1", tags=["groups and storefront"], route_class=JsonBodyRoute)
GroupId = Annotated[
    str,
    Path(
        description="The group (its id, assigned when it was created).",
        openapi_examples={"files": {"summary": "The group the create example made", "value": GROUP_ID}},
    ),
]


@router.post(
    "/groups", status_code=201, summary="Create a product group", response_model=GroupRead, responses=problems(409, 422)
)
async def post_group(body: GroupCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None) -> GroupRead:
    """Create a product group for the storefront: a name, a category, marketing text and its products in the order
    the storefront shows them. It starts unpublished. Refused: a name taken already (409), an unknown product
    (422). Admins only."""
    request = IdempotentRequest.of(key, caller=caller.subject, route="create-group", body=body.model_dump(mode="json"))
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_group_read(await use.create_group(ctx, mapping.to_create_group(body), request))


@router.post(
    "/groups/{group_id}/publish",
    summary="Publish a group to the storefront",
    response_model=GroupRead,
    responses=problems(404, 422),
)
async def post_publish(group_id: GroupId, body: GroupPublish, runtime: RuntimeDep, caller: Admin) -> GroupRead:
    """Show the group on the storefront, with those of its products on sale on the day the storefront is read.
    Publishing a published group changes nothing. 404 for an unknown group. Admins only."""
    return mapping.to_group_read(await use.set_published(use_case(runtime, caller, body.requested_at), group_id, True))


@router.post(
    "/groups/{group_id}/unpublish",
    summary="Withdraw a group from the storefront",
    response_model=GroupRead,
    responses=problems(404, 422),
)
async def post_unpublish(group_id: GroupId, body: GroupPublish, runtime: RuntimeDep, caller: Admin) -> GroupRead:
    """Withdraw the group from the storefront; its products stay orderable through the API. Withdrawing an
    unpublished group changes nothing. 404 for an unknown group. Admins only."""
    return mapping.to_group_read(await use.set_published(use_case(runtime, caller, body.requested_at), group_id, False))


@router.get("/groups", summary="Product groups (published or not)", response_model=list[GroupRead])
async def get_groups(runtime: RuntimeDep, _caller: Admin) -> list[GroupRead]:
    """Every product group, published or not, by name, with its products in storefront order. Admins only (the
    storefront catalog is what others see)."""
    return [mapping.to_group_read(group) for group in await use.list_groups(runtime)]


@router.get(
    "/storefront/catalog",
    summary="The storefront catalog: published groups with their orderable products",
    response_model=StorefrontCatalog,
    responses=NOT_MODIFIED,
    # Public through the gateway (anonymous callers arrive as the storefront role), so every signed-in person
    # reads it too; only machine callers (usage collectors) have no business here.
    dependencies=[Depends(require_roles(Role.STOREFRONT, Role.ADMIN, Role.RESELLER, Role.SUPPORT_AGENT))],
)
async def get_storefront(runtime: RuntimeDep, cache: StorefrontCacheDep, request: Request) -> Response:
    """What the storefront shows today: the published groups, each with its products on sale today (existing, not
    deactivated, purchase window open: name, tier, texts, commitments), and the catalog version it was built
    from. Public: through the gateway it needs no credentials, and every signed-in person may read it too (not
    usage collectors). Send the `ETag` back in `If-None-Match` to get 304 while nothing changed;
    `Accept-Encoding: gzip` gets it compressed."""
    answer = await cache.get(runtime, runtime.clock.now().date())
    return encoded_response(answer.encoded, request.headers, {"Cache-Control": "no-cache"})
