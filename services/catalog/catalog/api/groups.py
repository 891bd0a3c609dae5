"""Routes of product groups and the storefront catalog."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bss.api.caller import Admin, require_roles
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.identity import Role
from catalog.api import mapping
from catalog.api.group_schemas import GroupCreate, GroupPublish, GroupRead, StorefrontCatalog
from catalog.api.responses import NOT_MODIFIED, problems
from catalog.deps import RuntimeDep, StorefrontCacheDep, use_case
from catalog.usecases import groups as use

router = APIRouter(prefix="/v1", tags=["groups and storefront"], route_class=JsonBodyRoute)


@router.post(
    "/groups", status_code=201, summary="Create a product group", response_model=GroupRead, responses=problems(409, 422)
)
async def post_group(body: GroupCreate, runtime: RuntimeDep, caller: Admin, key: IdempotencyKey = None) -> GroupRead:
    request = IdempotentRequest.of(key, caller=caller.subject, route="create-group", body=body.model_dump(mode="json"))
    ctx = use_case(runtime, caller, body.requested_at)
    return mapping.to_group_read(await use.create_group(ctx, mapping.to_create_group(body), request))


@router.post(
    "/groups/{group_id}/publish",
    summary="Publish a group to the storefront",
    response_model=GroupRead,
    responses=problems(404, 422),
)
async def post_publish(group_id: str, body: GroupPublish, runtime: RuntimeDep, caller: Admin) -> GroupRead:
    return mapping.to_group_read(await use.set_published(use_case(runtime, caller, body.requested_at), group_id, True))


@router.post(
    "/groups/{group_id}/unpublish",
    summary="Withdraw a group from the storefront",
    response_model=GroupRead,
    responses=problems(404, 422),
)
async def post_unpublish(group_id: str, body: GroupPublish, runtime: RuntimeDep, caller: Admin) -> GroupRead:
    return mapping.to_group_read(await use.set_published(use_case(runtime, caller, body.requested_at), group_id, False))


@router.get("/groups", summary="Product groups (published or not)", response_model=list[GroupRead])
async def get_groups(runtime: RuntimeDep, _caller: Admin) -> list[GroupRead]:
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
    answer = await cache.get(runtime, runtime.clock.now().date())
    headers = {"ETag": answer.etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == answer.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            content=answer.gzipped, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"}
        )
    return Response(content=answer.body, media_type="application/json", headers=headers)
