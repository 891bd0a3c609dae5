"""API keys through the gateway's admin API: shown once, stored hashed, listed, revoked, expiring."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bss.db import create_engine, session_factory
from bss.identity import Role
from gateway.keystore import KeyStore
from gateway.models import ApiKeyRow
from tests.harness.databases import DatabaseFactory
from tests.harness.services import RunningServer
from tests.integration.gateway.conftest import StartGateway
from tests.integration.gateway.upstreams import ADMIN_KEY, create_key

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def rows(database_url: str) -> list[ApiKeyRow]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(ApiKeyRow))).all())
    finally:
        await engine.dispose()


async def test_a_key_is_shown_once_and_stored_only_as_a_hash(
    start_gateway: StartGateway, databases: DatabaseFactory
) -> None:
    url = await databases.create("gateway")
    gateway = await start_gateway(database_url=url)
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        created = await client.post(
            "/gateway/v1/keys", json={"name": "Reseller 42 portal", "role": "reseller", "tenant_id": "r-42"}
        )
        listed = await client.get("/gateway/v1/keys")
        one = await client.get(f"/gateway/v1/keys/{created.json()['key_id']}")
    assert created.status_code == 201
    body = created.json()
    token = body["token"]
    assert token.startswith(f"bss_{body['key_id']}_")
    assert (body["role"], body["tenant_id"], body["created_by"]) == ("reseller", "r-42", "bootstrap-admin")
    assert [key["key_id"] for key in listed.json()["items"]] == [body["key_id"]]
    assert "token" not in listed.json()["items"][0]
    assert "token" not in one.json()
    (row,) = await rows(url)
    secret = token.split("_", 2)[2]
    assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(row.__dict__)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "r", "role": "reseller"}, "tenant_id"),
        ({"name": "a", "role": "admin", "tenant_id": "r-1"}, "tenant_id"),
        ({"name": "x", "role": "superuser"}, "role"),
        ({"name": "", "role": "admin"}, "name"),
        ({"name": "x", "role": "admin", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "role": "admin", "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        ({"name": "x", "role": "admin", "rate_limit_per_s": 0}, "rate_limit_per_s"),
        ({"name": "x", "role": "admin", "secret": "mine"}, "secret"),
    ],
)
async def test_a_bad_key_request_is_refused_naming_the_field_and_writes_nothing(
    start_gateway: StartGateway, databases: DatabaseFactory, body: dict[str, Any], field: str
) -> None:
    url = await databases.create("gateway")
    gateway = await start_gateway(database_url=url)
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.post("/gateway/v1/keys", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in str(response.json()["errors"])
    assert await rows(url) == []


async def test_only_admins_manage_keys(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        support = await create_key(client, "support_agent")
        anonymous = await client.get("/gateway/v1/keys")
        refused = await client.post(
            "/gateway/v1/keys", json={"name": "mine", "role": "admin"}, headers={"X-API-Key": support}
        )
        listed = await client.get("/gateway/v1/keys", headers=ADMIN_KEY)
    assert anonymous.status_code == 401
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert [key["role"] for key in listed.json()["items"]] == ["support_agent"]


async def test_a_revoked_key_is_refused_at_once_here_and_within_the_cache_ttl_on_other_replicas(
    start_gateway: StartGateway, databases: DatabaseFactory
) -> None:
    url = await databases.create("gateway")
    here = await start_gateway(database_url=url, key_cache_ttl_s=0.5)
    there = await start_gateway(database_url=url, key_cache_ttl_s=0.5)
    async with httpx.AsyncClient(base_url=here.base_url) as client, httpx.AsyncClient(base_url=there.base_url) as other:
        token = await create_key(client, "reseller", "r-7")
        key = {"X-API-Key": token}
        assert (await client.get("/api/v1/billing/invoices", headers=key)).status_code == 200
        assert (await other.get("/api/v1/billing/invoices", headers=key)).status_code == 200  # now cached there
        key_id = token.split("_")[1]
        revoked = await client.post(f"/gateway/v1/keys/{key_id}/revoke", headers=ADMIN_KEY)
        assert revoked.json()["revoked_at"] is not None
        refused_here = await client.get("/api/v1/billing/invoices", headers=key)
        status_there = await _poll_until_refused(other, key, timeout_s=0.5 + 2.0)
        listed = await client.get("/gateway/v1/keys", headers=ADMIN_KEY)
        with_revoked = await client.get("/gateway/v1/keys", headers=ADMIN_KEY, params={"include_revoked": "true"})
    assert refused_here.status_code == 401
    assert "revoked" in refused_here.json()["detail"]
    assert status_there == 401
    assert listed.json() == {"items": [], "next_cursor": None}
    assert [k["key_id"] for k in with_revoked.json()["items"]] == [key_id]


async def test_an_expired_key_is_refused_even_while_cached(
    start_gateway: StartGateway, databases: DatabaseFactory
) -> None:
    url = await databases.create("gateway")
    gateway = await start_gateway(database_url=url, key_cache_ttl_s=60)
    engine = create_engine(url)
    try:
        store = KeyStore(session_factory(engine))
        now = datetime.now(UTC)
        _, expired = await store.create(
            name="old",
            role=Role.ADMIN,
            tenant_id=None,
            expires_at=now - timedelta(seconds=1),
            rate_limit_per_s=None,
            rate_limit_burst=None,
            created_by="test",
            now=now - timedelta(days=1),
        )
        _, expiring = await store.create(
            name="soon",
            role=Role.ADMIN,
            tenant_id=None,
            expires_at=now + timedelta(seconds=2),
            rate_limit_per_s=None,
            rate_limit_burst=None,
            created_by="test",
            now=now,
        )
    finally:
        await engine.dispose()
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        old = await client.get("/api/v1/catalog/products", headers={"X-API-Key": expired})
        fresh = await client.get("/api/v1/catalog/products", headers={"X-API-Key": expiring})
        later = await _poll_until_refused(client, {"X-API-Key": expiring}, timeout_s=5)
    assert old.status_code == 401
    assert "expired" in old.json()["detail"]
    assert fresh.status_code == 200
    assert later == 401


async def _poll_until_refused(client: httpx.AsyncClient, headers: dict[str, str], timeout_s: float) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        status = (await client.get("/api/v1/billing/invoices", headers=headers)).status_code
        if status != 200 or loop.time() > deadline:
            return status
        await asyncio.sleep(0.05)


async def test_a_malformed_key_request_is_refused_with_problem_json_and_writes_nothing(
    start_gateway: StartGateway, databases: DatabaseFactory
) -> None:
    url = await databases.create("gateway")
    gateway = await start_gateway(database_url=url)
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.post(
            "/gateway/v1/keys", content=b'{"name": "x", "role": ', headers={"content-type": "application/json"}
        )
    assert response.status_code == 400  # not JSON at all: a 400, as every JSON body error (bss.api.json_body)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("The body is not JSON")
    assert await rows(url) == []


async def test_keys_are_listed_in_pages_with_a_cursor(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        created = sorted([(await create_key(client, "storefront")).split("_")[1] for _ in range(5)])
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await client.get("/gateway/v1/keys", params=params)).json()
            seen += [key["key_id"] for key in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        bad = await client.get("/gateway/v1/keys", params={"cursor": "%%%"})
    assert seen == created
    assert bad.status_code == 422
    assert "cursor" in str(bad.json()["errors"])


async def test_a_reseller_key_needs_a_tenant_subscriptions_can_vouch_for(
    start_gateway: StartGateway, echo: RunningServer
) -> None:
    body = {"name": "portal", "role": "reseller", "tenant_id": "0190c3a1-2000-7000-8000-000000000200"}
    down = await start_gateway(check_key_tenants=True)  # subscriptions does not answer
    async with httpx.AsyncClient(base_url=down.base_url, headers=ADMIN_KEY) as client:
        refused = await client.post("/gateway/v1/keys", json=body)
        listed = (await client.get("/gateway/v1/keys")).json()["items"]
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "subscriptions" in refused.json()["detail"]
    assert [key for key in listed if key["role"] == "reseller"] == []  # nothing half-written
    answering = await start_gateway(check_key_tenants=True, subscriptions_url=echo.base_url)  # answers 200
    async with httpx.AsyncClient(base_url=answering.base_url, headers=ADMIN_KEY) as client:
        created = await client.post("/gateway/v1/keys", json=body)
    assert created.status_code == 201, created.text
