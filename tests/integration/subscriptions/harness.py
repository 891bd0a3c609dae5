"""A running subscriptions service for the integration tests: real uvicorn, real database, real broker."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from bss.events.envelope import CloudEvent
from bss.events.topics import SUBSCRIPTIONS
from bss.kafka import new_consumer
from tests.harness.identity import ADMIN, headers_for, reseller

ADMIN_HEADERS = headers_for(ADMIN)


def reseller_headers(tenant_id: str) -> dict[str, str]:
    return headers_for(reseller(tenant_id))


@dataclass
class Service:
    base_url: str
    http: httpx.AsyncClient
    bootstrap_servers: str
    database_url: str

    async def register(
        self, country: str = "DE", since: str = "2019-05-01", currency: str = "EUR", **extra: Any
    ) -> str:
        reseller_id = str(uuid.uuid4())
        body = {
            "reseller_id": reseller_id,
            "legal_name": f"Reseller {reseller_id[:8]}",
            "billing_email": "billing@reseller.example",
            "billing_address": {"lines": ["1 Main Street"], "city": "Springfield", "country": country},
            "country": country,
            "partner_since": since,
            "billing_currency": currency,
            "contract_signed_on": since,
            **extra,
        }
        response = await self.http.post("/v1/resellers", json=body, headers=ADMIN_HEADERS)
        assert response.status_code == 201, response.text
        return reseller_id

    async def order(self, reseller_id: str, product_id: str, **body: Any) -> httpx.Response:
        return await self.http.post(
            "/v1/subscriptions",
            json={"reseller_id": reseller_id, "product_id": product_id, **body},
            headers=ADMIN_HEADERS,
        )

    async def ordered(self, reseller_id: str, product_id: str, **body: Any) -> dict[str, Any]:
        response = await self.order(reseller_id, product_id, **body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def action(
        self,
        subscription_id: str,
        action: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.http.post(
            f"/v1/subscriptions/{subscription_id}/{action}", json=body or {}, headers=headers or ADMIN_HEADERS
        )

    async def products(self, as_of: date) -> dict[str, dict[str, Any]]:
        response = await self.http.get(
            "/v1/catalog/products", params={"as_of": as_of.isoformat()}, headers=ADMIN_HEADERS
        )
        assert response.status_code == 200, response.text
        return {p["product_id"]: p for p in response.json()}


async def read_events(
    bootstrap_servers: str, subjects: set[str], expected: int, timeout_s: float = 30.0
) -> list[CloudEvent]:
    """Every event on `bss.subscriptions` about `subjects`, read from the start (stops at `expected` or timeout),
    then a short extra read so a duplicate would be seen."""
    reader = new_consumer(bootstrap_servers, SUBSCRIPTIONS, group_id=None, client_id="test-reader")
    await reader.start()
    found: list[CloudEvent] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        grace: float | None = None
        while loop.time() < deadline and (grace is None or loop.time() < grace):
            batch = await reader.getmany(timeout_ms=300)
            for records in batch.values():
                for record in records:
                    event = CloudEvent.from_json(record.value or b"")
                    if event.subject in subjects:
                        found.append(event)
            if len(found) >= expected and grace is None:
                grace = loop.time() + 1.0
    finally:
        await reader.stop()
    return found


async def count_rows(database_url: str, table: str) -> int:
    """Rows in one of the service's tables, read directly (to prove a refused request wrote nothing)."""
    from sqlalchemy import text

    from bss.db import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar_one())
    finally:
        await engine.dispose()
