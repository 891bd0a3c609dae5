"""The support-sla service running for a test module: real uvicorn, real broker, its own database, a fixed clock."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker
from bss.events import topics
from bss.events.contracts.subscriptions import ResellerRegisteredV1, SubscriptionCreatedV1
from bss.events.envelope import EventData, make_event
from bss.identity import Caller
from bss.kafka import new_consumer, new_producer
from support_sla.runtime import SupportRuntime
from support_sla.scheduler import BreachScheduler
from tests.harness import polling
from tests.harness.identity import ADMIN, SUPPORT_AGENT, GatewayIdentity, headers_for, reseller


@dataclass
class Service:
    app: FastAPI
    base_url: str
    clock: FixedClock
    broker: EmbeddedBroker
    seen: list[dict[str, Any]] = field(default_factory=list)

    @property
    def runtime(self) -> SupportRuntime:
        runtime: SupportRuntime = self.app.state.runtime
        return runtime

    def scheduler(self) -> BreachScheduler:
        return BreachScheduler(self.runtime)

    async def call(
        self, method: str, path: str, caller: Caller = ADMIN, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30, auth=GatewayIdentity("support-sla")) as client:
            return await client.request(method, path, headers=headers_for(caller) | (headers or {}), **kwargs)

    async def publish(self, data: EventData, times: int = 1) -> None:
        """Publish one event (`times` copies of the same envelope, as a redelivery would)."""
        producer = new_producer(self.broker.bootstrap_servers, idempotent=False, client_id="test-publisher")
        await producer.start()
        try:
            envelope = make_event(data, source="/bss/test", time=self.clock.now())
            for _ in range(times):
                await producer.send_and_wait(data.topic, envelope.to_json(), key=data.subject().encode())
        finally:
            await producer.stop()

    async def new_reseller(
        self, *, country: str = "DE", signed_on: date = date(2023, 1, 1), subscription: bool = True
    ) -> str:
        """A reseller registered through the subscriptions topic, known to support once this returns."""
        reseller_id = str(uuid.uuid4())
        await self.publish(
            ResellerRegisteredV1.example().model_copy(
                update={
                    "reseller_id": reseller_id,
                    "country": country,
                    "partner_since": signed_on,
                    "contract_signed_on": signed_on,
                }
            )
        )
        if subscription:
            await self.publish(
                SubscriptionCreatedV1.example().model_copy(
                    update={"reseller_id": reseller_id, "subscription_id": str(uuid.uuid4())}
                )
            )
        await eventually(
            lambda: self._known(reseller_id, subscription), "reseller read model", timeout_s=45
        )  # a consumer-group rebalance may delay it
        return reseller_id

    async def _known(self, reseller_id: str, subscription: bool) -> bool:
        response = await self.call("GET", f"/v1/resellers/{reseller_id}", SUPPORT_AGENT)
        return response.status_code == 200 and (not subscription or response.json()["subscription_id"] is not None)

    async def open_ticket(self, reseller_id: str, severity: str = "A", **extra: Any) -> dict[str, Any]:
        body = {
            "subject": "Backups fail",
            "description": "All backups fail since today.",
            "product": "Cyber Protect",
            "severity": severity,
        } | extra
        response = await self.call("POST", "/v1/tickets", reseller(reseller_id), json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def events(
        self,
        event_type: str | tuple[str, ...],
        match: Callable[[dict[str, Any]], bool],
        expected: int,
        settle_s: float = 0.5,
    ) -> list[dict[str, Any]]:
        """Every `bss.support` event of the type matching `match`, waiting for `expected`, then `settle_s` more
        to catch duplicates."""
        reader = new_consumer(self.broker.bootstrap_servers, topics.SUPPORT, group_id=None, client_id="test-reader")
        await reader.start()
        found: list[dict[str, Any]] = []
        try:
            loop = asyncio.get_running_loop()
            deadline, settle_until = loop.time() + 20, None
            while loop.time() < deadline and (settle_until is None or loop.time() < settle_until):
                for records in (await reader.getmany(timeout_ms=200)).values():
                    for record in records:
                        event = json.loads(record.value or b"{}")
                        types = (event_type,) if isinstance(event_type, str) else event_type
                        if event.get("type") in types and match(event["data"]):
                            found.append(event["data"] | {"_type": event["type"], "_id": event["id"]})
                if len(found) >= expected and settle_until is None:
                    settle_until = loop.time() + settle_s
        finally:
            await reader.stop()
        return found


async def eventually(check: Callable[[], Any], what: str, timeout_s: float = 20.0) -> None:
    await polling.eventually(check, timeout_s=timeout_s, what=what)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
