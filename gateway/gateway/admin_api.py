"""`/gateway/v1/keys`: admins create (the token is shown once), list, read and revoke API keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bss.api import examples
from bss.api.input_text import SingleLine
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from bss.identity import Caller, Role
from bss.problems import Forbidden, NotFound, ServiceUnavailable, Unauthorized, ValidationProblem, field_error
from gateway.auth import Authenticator, AuthError
from gateway.examples import KEY_ID
from gateway.keystore import KeyNotFound, KeyStore
from gateway.models import ApiKeyRow
from gateway.upstream import UpstreamBroken, UpstreamTimeout, UpstreamUnavailable

router = APIRouter(prefix="/gateway/v1/keys", tags=["gateway: API keys"], route_class=JsonBodyRoute)

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid credentials", **_PROBLEM},
    403: {"description": "Only admins manage keys", **_PROBLEM},
}
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input; `errors` names the fields", **_PROBLEM}
}
_MISSING: dict[int | str, dict[str, Any]] = {404: {"description": "No such key", **_PROBLEM}}
KeyId = Annotated[
    str,
    Path(
        description="The key's id: the 12 hex digits after `bss_` in its token.",
        openapi_examples={"key": {"summary": "The key the create example made", "value": KEY_ID}},
    ),
]


async def authenticated_caller(request: Request) -> Caller:
    """Whoever calls a gateway route with an API key or bearer token (401 without valid credentials)."""
    token = request.headers.get("x-api-key")
    if not token:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        token = credentials.strip() if scheme.lower() == "bearer" else ""
    if not token:
        raise Unauthorized("Authenticate with an API key (X-API-Key) or bearer token.")
    authenticator: Authenticator = request.app.state.authenticator
    try:
        principal = await authenticator.authenticate(token)
    except AuthError as refused:
        raise Unauthorized(refused.detail, status=refused.status) from refused
    return principal.caller


async def admin_caller(request: Request) -> Caller:
    """The authenticated admin calling a key route (401 without credentials, 403 for other roles)."""
    caller = await authenticated_caller(request)
    if caller.role is not Role.ADMIN:
        raise Forbidden(f"Only admins manage API keys; you are {caller.role.value}.")
    return caller


AdminCaller = Annotated[Caller, Depends(admin_caller)]


def key_store(request: Request) -> KeyStore:
    store: KeyStore = request.app.state.key_store
    return store


Store = Annotated[KeyStore, Depends(key_store)]


class KeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Northwind storefront integration",
                    "role": "reseller",
                    "tenant_id": examples.RESELLER_ID,
                    "rate_limit_per_s": 20,
                    "rate_limit_burst": 40,
                }
            ]
        },
    )

    name: SingleLine = Field(min_length=1, max_length=200, description="What the key is for")
    role: Role
    tenant_id: SingleLine | None = Field(default=None, min_length=1, max_length=64, description="Reseller keys only")
    expires_at: AwareDatetime | None = Field(default=None, description="No expiry when absent")
    rate_limit_per_s: float | None = Field(default=None, gt=0, le=100_000, description="Default: the gateway's")
    rate_limit_burst: int | None = Field(default=None, ge=1, le=1_000_000, description="Default: the gateway's")


class KeyRead(BaseModel):
    key_id: str
    name: str
    role: Role
    tenant_id: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    rate_limit_per_s: float | None
    rate_limit_burst: int | None

    @classmethod
    def of(cls, row: ApiKeyRow) -> KeyRead:
        return cls(
            key_id=row.key_id,
            name=row.name,
            role=Role(row.role),
            tenant_id=row.tenant_id,
            created_at=row.created_at,
            created_by=row.created_by,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            rate_limit_per_s=row.rate_limit_per_s,
            rate_limit_burst=row.rate_limit_burst,
        )


class KeyCreated(KeyRead):
    token: str = Field(description="The API key to send as X-API-Key. Shown only now: store it safely.")


async def _refuse_unknown_tenant(request: Request, tenant_id: str) -> None:
    """A reseller key names a reseller subscriptions knows (422 otherwise; 503 while it cannot say)."""
    exists: Callable[[str], Awaitable[bool]] | None = getattr(request.app.state, "tenant_exists", None)
    if exists is None:
        return
    try:
        known = await exists(tenant_id)
    except (UpstreamUnavailable, UpstreamTimeout, UpstreamBroken) as exc:
        raise ServiceUnavailable(
            "Cannot check the tenant: the subscriptions service does not answer; try again shortly."
        ) from exc
    if not known:
        message = f"no reseller {tenant_id!r} is registered (GET /api/v1/subscriptions/resellers lists them)"
        raise ValidationProblem(f"The key cannot be created: {message}.", errors=[field_error("tenant_id", message)])


def _check(body: KeyCreate, now: datetime) -> None:
    errors = []
    if body.role is Role.RESELLER and body.tenant_id is None:
        errors.append(field_error("tenant_id", "a reseller key must name its tenant"))
    if body.role is not Role.RESELLER and body.tenant_id is not None:
        errors.append(field_error("tenant_id", "only reseller keys are bound to a tenant; leave it out"))
    if body.expires_at is not None and body.expires_at <= now:
        errors.append(field_error("expires_at", "must be in the future"))
    if errors:
        raise ValidationProblem("The key cannot be created as given; see errors.", errors=errors)


@router.post(
    "",
    status_code=201,
    response_model=KeyCreated,
    summary="Create an API key (a reseller key for a reseller subscriptions knows)",
    responses=_ERRORS
    | _INVALID
    | {503: {"description": "The tenant cannot be checked now: subscriptions does not answer", **_PROBLEM}},
)
async def create_key(body: KeyCreate, caller: AdminCaller, store: Store, request: Request) -> KeyCreated:
    """Create an API key with one role: `admin` (everything), `support_agent` (reads, tickets), `reseller` (bound
    to the reseller `tenant_id` names, which subscriptions must know), `storefront` (the published catalog) or
    `system` (usage ingestion); optionally an expiry and its own rate limit. The answer holds the token, shown
    only this once: send it as `X-API-Key`. Refused (422): a reseller key without a tenant, a tenant on another
    role, an expiry not in the future, a reseller subscriptions does not know; 503 while subscriptions cannot
    say. Admins only."""
    now = datetime.now(UTC)
    _check(body, now)
    if body.tenant_id is not None:
        await _refuse_unknown_tenant(request, body.tenant_id)
    row, token = await store.create(
        name=body.name,
        role=body.role,
        tenant_id=body.tenant_id,
        expires_at=body.expires_at,
        rate_limit_per_s=body.rate_limit_per_s,
        rate_limit_burst=body.rate_limit_burst,
        created_by=caller.subject,
        now=now,
    )
    return KeyCreated(**KeyRead.of(row).model_dump(), token=token)


@router.get(
    "", response_model=Page[KeyRead], summary="List API keys (never their secrets)", responses=_ERRORS | _INVALID
)
async def list_keys(
    _caller: AdminCaller,
    store: Store,
    include_revoked: Annotated[bool, Query()] = False,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[KeyRead]:
    """API keys by id, with role, tenant, expiry, rate limit and who created them, never their secrets; revoked
    keys only with `include_revoked`. `next_cursor` leads to the next page. Admins only."""
    key = decode_cursor(cursor)
    after = str(key[0]) if key else None
    rows = await store.list(include_revoked=include_revoked, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page[KeyRead](
        items=[KeyRead.of(row) for row in rows],
        next_cursor=encode_cursor([rows[-1].key_id]) if more else None,
    )


@router.get("/{key_id}", response_model=KeyRead, summary="Read one API key", responses=_ERRORS | _MISSING)
async def read_key(key_id: KeyId, _caller: AdminCaller, store: Store) -> KeyRead:
    """One API key (never its secret), revoked or not. 404 for an unknown key id. Admins only."""
    row = await store.find(key_id)
    if row is None:
        raise NotFound(f"No API key {key_id}.")
    return KeyRead.of(row)


@router.post(
    "/{key_id}/revoke",
    response_model=KeyRead,
    summary="Revoke an API key (refused by every gateway replica within the key cache TTL, 5 s by default)",
    responses=_ERRORS | _MISSING,
)
async def revoke_key(key_id: KeyId, _caller: AdminCaller, store: Store, request: Request) -> KeyRead:
    """Revoke a key for good: this gateway replica refuses it (401) at once, the others within their key cache TTL
    (5 s by default). Revoking a revoked key changes nothing (it keeps the first instant). 404 for an unknown key
    id. Admins only."""
    try:
        row = await store.revoke(key_id, now=datetime.now(UTC))
    except KeyNotFound as exc:
        raise NotFound(f"No API key {key_id}.") from exc
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.forget()  # this replica refuses it at once; the others within their cache TTL
    return KeyRead.of(row)
