"""A running billing service on its own database and the real broker, and the events that build its world.

Ids are fresh per test (the broker is shared by the whole session), and each app consumes in its own
consumer groups, so tests never see each other's state.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from billing.main import create_app
from billing.models import (
    BillingProfileRow,
    ProductVersionRow,
    SubscriptionRow,
    UsageAggregateRow,
    UsageEventRow,
    messaging,
)
from bss.clock import Clock
from bss.embedded_broker import EmbeddedBroker
from bss.events.contracts.billing import UsageRecordedV1
from bss.events.contracts.catalog import FxRatesPublishedV1, PriceBookPublishedV1, ProductChangedV1
from bss.events.contracts.subscriptions import (
    RampUpGrantedV1,
    ResellerBillingProfileChangedV1,
    ResellerRegisteredV1,
    SubscriptionCreatedV1,
)
from bss.events.contracts.support import IncidentChargedV1
from bss.events.envelope import EventData, make_event
from bss.kafka import new_producer
from bss.ramp_up import ramp_up_window
from bss.service_app import Runtime
from tests.harness import polling
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, SYSTEM, GatewayIdentity, headers_for
from tests.harness.services import running, service_settings

STORAGE, WORKSTATION, BACKUP_JOBS = "SKU-BACKUP-STORAGE-GB", "SKU-WORKSTATION", "SKU-BACKUP-JOBS"
SELL_PRICES = {  # unit prices of the 1,000 USD tier
    "USD": {STORAGE: "0.035", WORKSTATION: "2.50", BACKUP_JOBS: "0.10"},
    "JPY": {STORAGE: "5.2", WORKSTATION: "370", BACKUP_JOBS: "15"},
}


def new_id() -> str:
    return str(uuid.uuid4())


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc,arg-type]


async def eventually(check: Callable[[], Awaitable[bool]], *, what: str, within_s: float = 20.0) -> None:
    await polling.eventually(check, timeout_s=within_s, what=what)


@dataclass
class BillingWorld:
    runtime: Runtime
    client: httpx.AsyncClient
    producer: AIOKafkaProducer
    product_id: str = field(default_factory=new_id)
    published: int = 0

    async def publish(self, data: EventData, *, event_id: str | None = None, topic: str | None = None) -> str:
        event = make_event(data, source="/test", time=datetime.now(UTC), event_id=event_id)
        await self.producer.send_and_wait(topic or data.topic, event.to_json(), key=(event.subject or "").encode())
        return event.id

    async def count(self, model: Any, *where: Any) -> int:
        async with self.runtime.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

    async def usage_written(self) -> tuple[int, int]:
        """(ledger rows, outbox rows) once usage ingestion is quiet: everything sent is relayed and counted."""
        outbox = messaging.outbox

        async def settled() -> tuple[int, int] | None:
            first = (await self.count(UsageEventRow), await self.count(outbox))
            unsent = await self.count(outbox, outbox.c.sent_at.is_(None))
            await asyncio.sleep(0.3)
            later = (await self.count(UsageEventRow), await self.count(outbox))
            return first if unsent == 0 and first == later else None

        return await polling.eventually(settled, timeout_s=20, what="usage ingestion quiet")  # type: ignore[no-any-return]

    async def publish_catalog(self) -> None:
        await self.publish(
            ProductChangedV1.model_validate(
                {
                    "product_id": self.product_id,
                    "effective_from": date(2024, 1, 1),
                    "code": "ACC-CSP-TIER-3",
                    "name": "Acronis Cyber Cloud for Service Providers - Tier 3",
                    "tier": "Tier 3",
                    "commitments": [
                        {"currency": "USD", "amount": "1000"},
                        {"currency": "JPY", "amount": "150000"},
                    ],
                    "usage_skus": [
                        {"sku": STORAGE, "name": "Backup storage (GB)", "unit": "GB", "aggregation": "last"},
                        {"sku": WORKSTATION, "name": "Workstations", "unit": "workload", "aggregation": "max"},
                        {"sku": BACKUP_JOBS, "name": "Backup jobs", "unit": "job", "aggregation": "sum"},
                    ],
                    "changes": ["renamed", "tier_moved"],
                    "previous_name": "Acronis Cyber Cloud for Service Providers - Tier 2",
                    "previous_tier": "Tier 2",
                }
            )
        )
        entries = [
            {"product_id": self.product_id, "tier": "Tier 3", "sku": sku, "currency": currency, "unit_price": price}
            for currency, prices in SELL_PRICES.items()
            for sku, price in prices.items()
        ]
        await self.publish(
            PriceBookPublishedV1.model_validate(
                {
                    "price_book_id": new_id(),
                    "name": "Acronis sell prices",
                    "kind": "vendor_sell",
                    "effective_from": date(2023, 1, 1),
                    "publication_id": new_id(),
                    "batch_number": 1,
                    "batch_count": 1,
                    "entries": entries,
                }
            )
        )
        await self.publish(
            FxRatesPublishedV1.model_validate(
                {
                    "rate_table_id": new_id(),
                    "effective_from": date(2023, 12, 1),
                    "rates": [
                        {"currency": "CHF", "units_per_usd": "0.8412"},
                        {"currency": "JPY", "units_per_usd": "141.25"},
                    ],
                }
            )
        )
        await eventually(
            lambda: self._has(ProductVersionRow, ProductVersionRow.product_id == self.product_id), what="the catalog"
        )

    async def _has(self, model: Any, *where: Any) -> bool:
        return await self.count(model, *where) > 0

    async def set_profile(
        self,
        reseller_id: str,
        effective_from: date,
        *,
        currency: str,
        country: str = "US",
        price_list_currency: str | None = None,
        vat_id: str | None = None,
        payment_terms_days: int = 30,
        locale: str = "en",
        legal_name: str = "Profiled Reseller Ltd",
    ) -> None:
        """The reseller's billing profile from `effective_from`, as subscriptions announces it; returns once billing
        holds it."""
        recorded_at = datetime.now(UTC)
        await self.publish(
            ResellerBillingProfileChangedV1.model_validate(
                {
                    "reseller_id": reseller_id,
                    "effective_from": effective_from,
                    "profile": {
                        "legal_name": legal_name,
                        "billing_email": "invoices@profiled.example",
                        "billing_address": {
                            "lines": ["2 Profile Road"],
                            "city": "Springfield",
                            "postal_code": "12345",
                            "country": country,
                        },
                        "vat_id": vat_id,
                        "invoice_currency": currency,
                        "price_list_currency": price_list_currency,
                        "payment_terms_days": payment_terms_days,
                        "locale": locale,
                    },
                    "recorded_at": recorded_at,
                }
            )
        )
        await eventually(
            lambda: self._has(
                BillingProfileRow,
                BillingProfileRow.reseller_id == reseller_id,
                BillingProfileRow.effective_from == effective_from,
                BillingProfileRow.recorded_at >= recorded_at,
            ),
            what="the billing profile",
        )

    async def subscribe(
        self,
        *,
        currency: str = "USD",
        country: str = "US",
        started_at: datetime | None = None,
        ramp_up: int = 0,
        legacy_ramp_up: bool = False,
        kind: str = "paid",
        ids: tuple[str, str] | None = None,
        tax_id: str | None = None,
        billed_elsewhere_through: date | None = None,
    ) -> tuple[str, str]:
        reseller_id, subscription_id = ids or (new_id(), new_id())
        started = started_at or utc(2023, 10, 15)
        await self.publish(
            ResellerRegisteredV1.model_validate(
                {
                    "reseller_id": reseller_id,
                    "legal_name": f"Reseller {currency}",
                    "country": country,
                    "partner_since": date(2022, 1, 1),
                    "billing_currency": currency,
                    "billing_email": "billing@reseller.example",
                    "billing_address": {"lines": ["1 Main St"], "city": "Springfield", "country": country},
                    "registered_at": utc(2022, 1, 1),
                    "tax_id": tax_id,
                }
            )
        )
        trial_end = {"trial_ends_at": started.replace(day=28)} if kind == "trial" else {}
        await self.publish(
            SubscriptionCreatedV1.model_validate(
                {
                    "subscription_id": subscription_id,
                    "reseller_id": reseller_id,
                    "product_id": self.product_id,
                    "tier": "Tier 3",
                    "kind": kind,
                    "started_at": started,
                    "billing_currency": currency,
                    "billed_elsewhere_through": billed_elsewhere_through,
                    **trial_end,
                }
            )
        )
        if ramp_up:
            window = ramp_up_window(started.date(), ramp_up)  # as subscriptions decides and carries it
            assert window is not None
            await self.publish(
                RampUpGrantedV1(
                    subscription_id=subscription_id,
                    reseller_id=reseller_id,
                    cycles=ramp_up,
                    first_period=window.first_period,
                    last_period=None if legacy_ramp_up else window.last_period,  # legacy: before it was carried
                    scope="reseller",
                    granted_at=started,
                )
            )
            await eventually(
                lambda: self._has(
                    SubscriptionRow,
                    SubscriptionRow.subscription_id == subscription_id,
                    SubscriptionRow.ramp_up_cycles > 0,
                ),
                what="the ramp-up",
            )
        await eventually(
            lambda: self._has(SubscriptionRow, SubscriptionRow.subscription_id == subscription_id),
            what="the subscription",
        )
        return reseller_id, subscription_id

    def usage(
        self,
        reseller_id: str,
        subscription_id: str,
        sku: str,
        quantity: str,
        measured_at: datetime,
        customer: str | None = None,
    ) -> UsageRecordedV1:
        return UsageRecordedV1(
            reseller_id=reseller_id,
            subscription_id=subscription_id,
            customer_id=customer or "3f2d8c1e-5b7a-4e0f-9c61-0a8b7d6e5f41",
            sku=sku,
            quantity=Decimal(quantity),
            measured_at=measured_at,
            source="test-collector",
        )

    def ticket_fee(
        self,
        reseller_id: str,
        subscription_id: str,
        charged_at: datetime,
        *,
        ticket_id: str | None = None,
        currency: str = "USD",
    ) -> IncidentChargedV1:
        """Support's 45 (USD, or `currency`: support prices it in EUR by default) ticket fee for a non-certified
        reseller (docs/domain.md), charged at `charged_at`."""
        return IncidentChargedV1(
            ticket_id=ticket_id or str(uuid.uuid4()),
            reseller_id=reseller_id,
            charge_id=str(uuid.uuid4()),
            subscription_id=subscription_id,
            kind="ticket_fee",
            amount=Decimal("45.00"),
            currency=currency,
            charged_at=charged_at,
            description="Support ticket fee (non-certified service provider)",
        )

    async def wait_counted(self, n: int, *subscription_ids: str, within_s: float = 20.0) -> None:
        """Until `n` usage events of these subscriptions are counted in the aggregates."""
        await eventually(
            lambda: self._counted(n, subscription_ids), what=f"{n} usage events counted", within_s=within_s
        )

    async def _counted(self, n: int, subscription_ids: tuple[str, ...]) -> bool:
        """The readings the aggregates of these subscriptions hold (a counted event's ledger row does not name its
        subscription: ADR 0022)."""
        readings = func.coalesce(func.sum(UsageAggregateRow.readings), 0)
        query = select(readings).where(UsageAggregateRow.subscription_id.in_(subscription_ids))
        async with self.runtime.sessions() as session:
            return int((await session.execute(query)).scalar_one()) >= n

    async def close(self, period: date) -> dict[str, Any]:
        response = await self.client.post(
            "/v1/month-closes", json={"period": period.isoformat()}, headers=headers_for(ADMIN)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def invoice(self, subscription_id: str, period: date) -> dict[str, Any]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"period": period.isoformat(), "limit": 5}  # small pages: the cursor is used
        while True:
            page = (await self.client.get("/v1/invoices", params=params, headers=headers_for(ADMIN))).json()
            found += [i for i in page["items"] if i["subscription_id"] == subscription_id]
            if not page["next_cursor"]:
                break
            params["cursor"] = page["next_cursor"]
        assert len(found) == 1, found
        return dict(found[0])

    async def post_usage(self, events: list[dict[str, Any]]) -> httpx.Response:
        return await self.client.post("/v1/usage", json={"events": events}, headers=headers_for(SYSTEM))


@asynccontextmanager
async def billing_world(
    broker: EmbeddedBroker, databases: DatabaseFactory, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[BillingWorld]:
    settings = await service_settings(
        "billing",
        databases,
        broker,
        consumer_group_suffix="." + uuid.uuid4().hex[:8],
        **{"month_close_scheduler": False, **overrides},
    )
    app = create_app(settings, clock=clock)  # type: ignore[arg-type]
    producer = new_producer(broker.bootstrap_servers, idempotent=False, client_id="billing-test")
    await producer.start()
    try:
        async with (
            running(app) as server,
            httpx.AsyncClient(base_url=server.base_url, timeout=30, auth=GatewayIdentity("billing")) as client,
        ):
            world = BillingWorld(runtime=app.state.runtime, client=client, producer=producer)
            await world.publish_catalog()
            yield world
    finally:
        await producer.stop()
