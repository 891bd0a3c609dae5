"""Rate limits per key: in process by default, shared across replicas through Redis when configured."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from bss.embedded_broker import free_port
from gateway.ratelimit import RedisLimiter, lease_size
from tests.integration.gateway.conftest import StartGateway
from tests.integration.gateway.upstreams import create_key

pytestmark = pytest.mark.asyncio(loop_scope="session")

REDIS_URL = "redis://127.0.0.1:6379/0"  # runs on the developers' and CI machines
SLOW = {"rate_limit_per_s": 0.5, "rate_limit_burst": 3}


async def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_do_not(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(**SLOW)
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        busy = {"X-API-Key": await create_key(client, "reseller", "r-1")}
        calm = {"X-API-Key": await create_key(client, "reseller", "r-2")}
        statuses = [(await client.get("/api/v1/catalog/products", headers=busy)).status_code for _ in range(4)]
        limited = await client.get("/api/v1/catalog/products", headers=busy)
        other = await client.get("/api/v1/catalog/products", headers=calm)
    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) in (1, 2)
    assert other.status_code == 200


async def test_a_keys_own_limit_overrides_the_gateway_default(start_gateway: StartGateway) -> None:
    gateway = await start_gateway()
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        key = {"X-API-Key": await create_key(client, "system", rate_limit_per_s=0.1, rate_limit_burst=2)}
        statuses = [(await client.post("/api/v1/billing/usage", headers=key, json={})).status_code for _ in range(3)]
        limited = await client.post("/api/v1/billing/usage", headers=key, json={})
    assert statuses == [200, 200, 429]
    assert int(limited.headers["retry-after"]) >= 9


async def test_redis_limits_hold_across_replicas(start_gateway: StartGateway) -> None:
    first = await start_gateway(redis_url=REDIS_URL, **SLOW)
    second = await start_gateway(redis_url=REDIS_URL, database_url=first_database(first), **SLOW)
    async with httpx.AsyncClient(base_url=first.base_url) as a, httpx.AsyncClient(base_url=second.base_url) as b:
        key = {"X-API-Key": await create_key(a, "reseller", "r-3")}
        statuses = [
            (await a.get("/api/v1/catalog/products", headers=key)).status_code,
            (await b.get("/api/v1/catalog/products", headers=key)).status_code,
            (await a.get("/api/v1/catalog/products", headers=key)).status_code,
            (await b.get("/api/v1/catalog/products", headers=key)).status_code,
            (await a.get("/api/v1/catalog/products", headers=key)).status_code,
        ]
        limited = await b.get("/api/v1/catalog/products", headers=key)
    assert statuses == [200, 200, 200, 429, 429]
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) in (1, 2)


async def test_requests_pass_when_redis_cannot_be_reached(start_gateway: StartGateway) -> None:
    gateway = await start_gateway(redis_url=f"redis://127.0.0.1:{free_port()}/0", **SLOW)
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        key = {"X-API-Key": await create_key(client, "reseller", "r-4")}
        statuses = {(await client.get("/api/v1/catalog/products", headers=key)).status_code for _ in range(5)}
    assert statuses == {200}


def first_database(server: object) -> str:
    app = server.server.config.app  # type: ignore[attr-defined]
    url: str = app.settings.database_url
    return url


async def test_a_replica_spends_a_lease_of_redis_tokens_locally_and_the_shared_limit_still_holds() -> None:
    limiter = RedisLimiter(REDIS_URL)
    key = f"test-lease-{uuid.uuid4().hex}"
    try:
        assert lease_size(40.0, 40) == 2
        assert limiter.take_local(key, 40.0, 40) is None  # nothing leased yet: ask Redis
        assert await limiter.take(key, 40.0, 40) == 0.0  # takes 2 tokens: this request's and one more
        assert limiter.take_local(key, 40.0, 40) == 0.0  # the leased one
        assert limiter.take_local(key, 40.0, 40) is None
        started = time.monotonic()
        passed = 2
        for _ in range(100):
            retry = limiter.take_local(key, 40.0, 40)
            if retry is None:
                retry = await limiter.take(key, 40.0, 40)
            passed += retry == 0.0
        elapsed = time.monotonic() - started
    finally:
        await limiter.close()
    assert passed <= 40 + 40 * elapsed + lease_size(40.0, 40)
    assert passed < 102
