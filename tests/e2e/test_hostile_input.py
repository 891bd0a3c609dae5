"""The hostile set through the gateway: each input refused with a 4xx in under a second, no request growing the
process by more than 50 MB, the suite still up, and valid usage sent afterwards still counted.

The whole suite runs in this test process, so its resident set is every service's and the gateway's at once: a
stricter bound than 50 MB per service process.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from tests.e2e.conftest import Suite
from tests.e2e.test_commitment_invoice import (
    PERIOD,
    billing_knows,
    counted,
    report_usage,
    reseller_on_tier3,
    tier3_and_a_priced_sku,
)
from tests.e2e.test_reseller_onboarding import products_known_to_subscriptions
from tests.harness.polling import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker, pytest.mark.slow]

MEGABYTE = 1024 * 1024
GROWTH_LIMIT = 50 * MEGABYTE
ANSWER_WITHIN_S = 1.0

HOSTILE_BODIES = {
    "nested 1,000 deep": b'{"events": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    "nested 100,000 deep": b"[" * 100_000,
    "invalid UTF-8": b'{"events": [{"event_id": "\xff\xfe"}]}',
    "lone surrogate escape": b'{"events": [{"event_id": "\\ud800"}]}',
    "5,000-digit integer": b'{"events": [{"event_id": "e", "quantity": ' + b"9" * 5000 + b"}]}",
    "not JSON": b"{this is not json",
}
HOSTILE_QUANTITIES = ["1e2000000", "1e999999999", "1e309", "1e-999999", "9" * 5000]


def rss() -> int:
    return int(psutil.Process().memory_info().rss)


async def refused_in_time(send: Callable[[], Awaitable[int]], what: str) -> int:
    """Send one hostile request; its status, after checking it came within a second and grew RSS < 50 MB."""
    before = rss()
    started = time.perf_counter()
    status = await send()
    elapsed = time.perf_counter() - started
    grown = rss() - before
    assert elapsed < ANSWER_WITHIN_S, f"{what}: answered in {elapsed:.2f} s"
    assert grown < GROWTH_LIMIT, f"{what}: the process grew by {grown / MEGABYTE:.1f} MB"
    return status


async def raw_status(base_url: str, request: bytes) -> int:
    """The status a raw HTTP/1.1 request gets (0 if the server closed without answering)."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        try:
            writer.write(request)
            await writer.drain()
        except ConnectionError:
            pass  # answered and closed before the whole request was sent: read the answer
        line = await asyncio.wait_for(reader.readline(), timeout=5)
        return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else 0
    finally:
        writer.close()


async def test_hostile_inputs_are_refused_quickly_without_bloat_and_valid_usage_still_counts(suite: Suite) -> None:
    system_key = await suite.key_for("system")
    async with suite.admin() as admin, suite.client(system_key) as system:
        assert (await admin.post("/api/v1/catalog/admin/services-definition/sync", json={})).status_code == 200
        tier3, sku, _ = await eventually(lambda: tier3_and_a_priced_sku(admin), what="the catalog")
        await eventually(lambda: _orderable(admin, tier3), what="subscriptions to learn the catalog")
        reseller_id, subscription_id = await reseller_on_tier3(admin, tier3)
        await eventually(lambda: billing_knows(admin, reseller_id), what="billing knows the subscription")
        await report_usage(system, reseller_id, subscription_id, sku, "1")  # warm: first-use allocations

        for name, body in HOSTILE_BODIES.items():
            for path, client in (("/api/v1/billing/usage", system), ("/api/v1/subscriptions/resellers", admin)):

                async def post(c: httpx.AsyncClient = client, p: str = path, b: bytes = body) -> int:
                    answer = await c.post(p, content=b, headers={"Content-Type": "application/json"})
                    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
                    return answer.status_code

                assert await refused_in_time(post, f"{name} to {path}") == 400, name

        for quantity in HOSTILE_QUANTITIES:
            event = _event(reseller_id, subscription_id, sku, quantity)

            async def post_usage(e: dict[str, str] = event) -> int:
                answer = await system.post("/api/v1/billing/usage", json={"events": [e]})
                result = answer.json()["results"][0]
                assert (result["status"], result["reason_code"]) == ("rejected", "quantity_out_of_range")
                return 422  # refused per event, inside the batch's 200

            await refused_in_time(post_usage, f"quantity {quantity[:20]}")

        heads = {
            "1 MB header": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * MEGABYTE + b"\r\n\r\n",
            "8 MB header": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 8 * MEGABYTE + b"\r\n\r\n",
            "10,000 headers": b"GET /healthz HTTP/1.1\r\nHost: t\r\n"
            + b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
            + b"\r\n",
        }
        for name, request in heads.items():
            status = await refused_in_time(lambda r=request: raw_status(suite.gateway.base_url, r), name)
            assert status == 431, name

        valid = await report_usage(system, reseller_id, subscription_id, sku, "2")
        await eventually(lambda: counted(system, valid), what="valid usage after the hostile set counted")
        for server in (suite.gateway, *suite.services.values()):
            assert (await system.get(f"{server.base_url}/healthz")).status_code == 200


async def _orderable(admin: httpx.AsyncClient, product_id: str) -> bool:
    return product_id in (await products_known_to_subscriptions(admin)).values()


def _event(reseller_id: str, subscription_id: str, sku: str, quantity: str) -> dict[str, str]:
    return {
        "event_id": str(uuid.uuid4()),
        "reseller_id": reseller_id,
        "subscription_id": subscription_id,
        "customer_id": str(uuid.uuid4()),
        "sku": sku,
        "quantity": quantity,
        "measured_at": f"{PERIOD[:8]}15T12:00:00Z",
        "source": "e2e-hostile",
    }
