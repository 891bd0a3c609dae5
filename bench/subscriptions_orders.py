"""Subscriptions orders: registrations and contended orders through the real service, exactly one winner each.

One run starts a private embedded broker and the subscriptions service (uvicorn, its
own database, migrations, catalog read model fed by catalog events), then measures:

1. registrations: `--resellers` POST /v1/resellers with `--concurrency` in flight;
2. contended orders: for every reseller, two orders of different tiers sent at the same time (the exclusion
   set lets exactly one win; the partial unique index decides races), `--concurrency` pairs in flight;
3. outbox drain: time until every event written by those requests was published.

It checks that each reseller has exactly one subscription, that every loser was refused by the exclusion-set
rule, and that no outbox row is left unsent; it exits 1 otherwise. SQLite by default; PostgreSQL when
DATABASE_URL=postgresql+asyncpg://... is set. Run from the repository root:

    .venv/bin/python -m bench subscriptions_orders --resellers 200
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select, text

from bench.broker import embedded_broker
from bench.reporting import per_second, percentile, print_result_line, print_table, rounded
from bench.signed_caller import SignedCaller
from bss.db import create_engine
from bss.embedded_broker import free_port
from bss.events.contracts.catalog import ProductPublishedV1
from bss.events.envelope import make_event
from bss.events.topics import CATALOG
from bss.identity import Caller, Role
from bss.kafka import new_producer
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases
from subscriptions.main import create_app
from subscriptions.models import Subscription, messaging
from subscriptions.settings import SubscriptionsSettings

BENCH = "subscriptions_orders"


ADMIN = SignedCaller(Caller(Role.ADMIN, "bench"), "subscriptions")


def catalog_events(low: str, high: str) -> list[ProductPublishedV1]:
    def product(pid: str, tier: str, usd: str, upgrades: list[str]) -> ProductPublishedV1:
        return ProductPublishedV1.model_validate(
            {
                "product_id": pid,
                "effective_from": date(2019, 1, 1),
                "code": f"ACC-{tier}",
                "name": f"Acronis Cyber Cloud for Service Providers - {tier}",
                "tier": tier,
                "commitments": [{"currency": "USD", "amount": usd}],
                "upgrade_product_ids": upgrades,
                "exclusion_set": "acronis-csp-contracts",
            }
        )

    return [product(low, "Tier 3", "1000", [high]), product(high, "Tier 4", "2000", [])]


async def publish_catalog(bootstrap: str, low: str, high: str) -> None:
    producer = new_producer(bootstrap, idempotent=False, client_id="bench-catalog")
    await producer.start()
    try:
        for data in catalog_events(low, high):
            envelope = make_event(data, source="/bss/catalog", time=datetime.now(UTC))
            await producer.send_and_wait(CATALOG, value=envelope.to_json(), key=data.subject().encode())
    finally:
        await producer.stop()


async def timed(limit: asyncio.Semaphore, latencies: list[float], call: Callable[[], Awaitable[Any]]) -> Any:
    async with limit:
        started = time.perf_counter()
        result = await call()
        latencies.append(time.perf_counter() - started)
        return result


async def wait_until(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if await check():
            return time.perf_counter() - started
        await asyncio.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


async def run(resellers: int, concurrency: int) -> int:
    databases = ThrowawayDatabases(os.environ.get(DATABASE_URL_ENV))
    low, high = str(uuid.uuid4()), str(uuid.uuid4())
    async with embedded_broker() as broker:
        url = await databases.create("subscriptions")
        settings = SubscriptionsSettings(
            database_url=url,
            kafka_bootstrap_servers=broker.bootstrap_servers,
            migrate_on_start=True,
            log_json=False,
            log_level="WARNING",
            catalog_consumer_group=f"bench-{uuid.uuid4().hex[:8]}",
            trial_sweep_interval_s=3600,
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False)
        )
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign,attr-defined]
        task = asyncio.create_task(server.serve())
        try:

            async def started() -> bool:
                return bool(server.started)

            await wait_until(started, 30, "the service to start")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, auth=ADMIN) as http:
                return await measure(
                    http, broker.bootstrap_servers, url, databases.backend, low, high, resellers, concurrency
                )
        finally:
            server.should_exit = True
            await task
            await databases.drop_all()


async def measure(
    http: httpx.AsyncClient,
    bootstrap: str,
    url: str,
    backend: str,
    low: str,
    high: str,
    resellers: int,
    concurrency: int,
) -> int:
    await publish_catalog(bootstrap, low, high)

    async def learned() -> bool:
        found = (await http.get("/v1/catalog/products", params={"as_of": "2024-06-01"})).json()
        return {p["product_id"] for p in found} >= {low, high}

    await wait_until(learned, 60, "the catalog read model")
    limit = asyncio.Semaphore(concurrency)
    registration_latencies: list[float] = []

    def register(i: int) -> Callable[[], Awaitable[httpx.Response]]:
        body = {
            "legal_name": f"Bench reseller {i}",
            "billing_email": "bench@reseller.example",
            "billing_address": {"lines": ["1 Bench Street"], "city": "Benchville", "country": "DE"},
            "country": "DE",
            "partner_since": "2020-01-01",
            "billing_currency": "EUR",
            "contract_signed_on": "2020-01-01",
        }
        return lambda: http.post("/v1/resellers", json=body)

    started = time.perf_counter()
    registered = await asyncio.gather(*[timed(limit, registration_latencies, register(i)) for i in range(resellers)])
    registration_s = time.perf_counter() - started
    ids = [r.json()["id"] for r in registered if r.status_code == 201]

    order_latencies: list[float] = []

    async def pair(reseller_id: str) -> list[httpx.Response]:
        def order(product_id: str) -> Callable[[], Awaitable[httpx.Response]]:
            body = {"reseller_id": reseller_id, "product_id": product_id}
            return lambda: http.post("/v1/subscriptions", json=body)

        async with limit:
            return list(
                await asyncio.gather(timed_free(order_latencies, order(low)), timed_free(order_latencies, order(high)))
            )

    started = time.perf_counter()
    pairs = await asyncio.gather(*[pair(r) for r in ids])
    orders_s = time.perf_counter() - started
    engine = create_engine(url)

    async def drained() -> bool:
        async with engine.connect() as connection:
            unsent = await connection.execute(
                select(func.count()).select_from(messaging.outbox).where(messaging.outbox.c.sent_at.is_(None))
            )
            return int(unsent.scalar_one()) == 0

    drain_s = await wait_until(drained, 120, "the outbox to drain")
    async with engine.connect() as connection:
        per_reseller = (
            await connection.execute(select(Subscription.reseller_id, func.count()).group_by(Subscription.reseller_id))
        ).all()
        events = int((await connection.execute(text("SELECT COUNT(*) FROM outbox"))).scalar_one())
    await engine.dispose()

    winners = sum(1 for p in pairs for r in p if r.status_code == 201)
    losers = [r for p in pairs for r in p if r.status_code != 201]
    refused_by_rule = sum(1 for r in losers if r.json().get("rules") == ["exclusion_set"])
    by_db = sum(1 for r in losers if r.status_code == 409)
    double_wins = sum(1 for _, count in per_reseller if count != 1)
    checks_ok = len(ids) == resellers and winners == len(ids) and refused_by_rule == len(ids) and double_wins == 0
    checks_ok = checks_ok and len(per_reseller) == len(ids)

    ms = [x * 1000 for x in order_latencies]
    print_table(
        f"subscriptions orders ({backend}, {resellers} resellers, concurrency {concurrency})",
        ["phase", "requests", "per s", "p50 ms", "p99 ms"],
        [
            [
                "registrations",
                resellers,
                per_second(resellers, registration_s),
                percentile([x * 1000 for x in registration_latencies], 50),
                percentile([x * 1000 for x in registration_latencies], 99),
            ],
            [
                "contended orders",
                2 * len(ids),
                per_second(2 * len(ids), orders_s),
                percentile(ms, 50),
                percentile(ms, 99),
            ],
        ],
    )
    print_table(
        "checks",
        ["check", "value", "ok"],
        [
            ["one subscription per reseller", len(per_reseller), len(per_reseller) == len(ids) and double_wins == 0],
            ["losers refused by exclusion_set", refused_by_rule, refused_by_rule == len(ids)],
            ["losers decided by the unique index (409)", by_db, True],
            ["outbox drained after the last order (s)", round(drain_s, 2), True],
            ["events written", events, True],
        ],
    )
    print_result_line(
        {
            "bench": BENCH,
            "backend": backend,
            "registrations_per_s": rounded(per_second(resellers, registration_s)),
            "orders_per_s": rounded(per_second(2 * len(ids), orders_s)),
            "order_p50_ms": rounded(percentile(ms, 50), 1),
            "order_p99_ms": rounded(percentile(ms, 99), 1),
            "outbox_drain_s": rounded(drain_s, 2),
            "double_wins": double_wins,
            "losers_by_unique_index": by_db,
            "ok": checks_ok,
        }
    )
    return 0 if checks_ok else 1


async def timed_free(latencies: list[float], call: Callable[[], Awaitable[Any]]) -> Any:
    started = time.perf_counter()
    result = await call()
    latencies.append(time.perf_counter() - started)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else BENCH)
    parser.add_argument("--resellers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    options = parser.parse_args(argv)
    return asyncio.run(run(options.resellers, options.concurrency))


if __name__ == "__main__":
    sys.exit(main())
