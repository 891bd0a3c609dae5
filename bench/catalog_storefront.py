"""Storefront read: `GET /v1/storefront/catalog` on a catalog of `--products` products and `--prices` price rows.

One run, on a private embedded broker and a throwaway database (SQLite by default, PostgreSQL when
DATABASE_URL=postgresql+asyncpg://... is set):

1. starts the real catalog service (uvicorn, migrations, outbox relay) and loads it through its own admin API:
   the services-definition sync, then products (in published groups of 100) up to `--products`, then sell prices
   up to `--prices` rows (in publications of 5,000 rows);
2. measures the storefront read as the storefront role calls it: `--requests` sequential reads of the cached
   answer (and `--concurrency` clients in parallel), then `--cold` reads each right after a catalog write, which
   rebuild the answer (the cache is keyed by the catalog version);
3. checks the answer lists every active product of the published groups and exits 1 otherwise.

The client runs in the same process and event loop as the server, so latencies include the client's share.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from bench.broker import embedded_broker
from bench.event_loops import LOOPS, run_on
from bench.reporting import Figure, peak_rss_mb, percentile, print_result_line, print_table, rounded
from bench.signed_caller import SignedCaller
from bss.embedded_broker import free_port
from bss.identity import Caller, Role
from bss.observability import configure_logging
from bss.throwaway_databases import DATABASE_URL_ENV, ThrowawayDatabases
from catalog.main import create_app
from catalog.settings import CatalogSettings

BENCH = "catalog_storefront"
GROUP_SIZE = 100
PRICE_CHUNK = 5_000
CURRENCIES = ("USD", "EUR", "GBP", "AUD", "JPY", "CAD")
TARGET_P99_MS = 20.0


@dataclass(frozen=True, slots=True)
class Options:
    products: int
    prices: int
    requests: int
    concurrency: int
    cold: int
    loop: str


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{BENCH}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1_000, help="products in published groups (default 1000)")
    parser.add_argument("--prices", type=int, default=50_000, help="sell-price rows (default 50000)")
    parser.add_argument("--requests", type=int, default=2_000, help="cached reads to time (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="parallel clients for the second pass (default 8)")
    parser.add_argument("--cold", type=int, default=20, help="reads right after a write, uncached (default 20)")
    parser.add_argument("--loop", choices=LOOPS, default="uvloop", help="event loop (default uvloop, as uvicorn)")
    args = parser.parse_args(argv)
    return Options(args.products, args.prices, args.requests, args.concurrency, args.cold, args.loop)


ADMIN = SignedCaller(Caller(Role.ADMIN, "bench-admin"), "catalog")
STOREFRONT = SignedCaller(Caller(Role.STOREFRONT, "bench-storefront"), "catalog")


async def call(http: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    response = await http.request(method, path, json=body, auth=ADMIN)
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


async def load_catalog(http: httpx.AsyncClient, options: Options) -> tuple[int, float, int]:
    """Sync, then products and prices through the admin API; returns (products the storefront must show,
    seconds taken, price rows stored). Price rows are capped at products x SKUs x 6 currencies."""
    started = time.perf_counter()
    await call(http, "POST", "/v1/admin/services-definition/sync", {})
    seeded = [p for p in (await call(http, "GET", "/v1/products", None))["items"] if p["state"] == "active"]
    orderable = [p for p in seeded if p["orderable_before"] is None]
    ids: list[str] = []
    for index in range(max(options.products - len(seeded), 0)):
        body = {
            "code": f"bench-{index:06d}",
            "name": f"Bench product {index}",
            "tier": f"Level {index % 9}",
            "effective_from": "2024-01-01",
            "marketing_text": "Benchmark product with a marketing text of realistic length. " * 3,
            "commitments": [{"currency": c, "amount": str(100 + index)} for c in CURRENCIES],
        }
        ids.append((await call(http, "POST", "/v1/products", body))["id"])
    for start in range(0, len(ids), GROUP_SIZE):
        group = await call(
            http,
            "POST",
            "/v1/groups",
            {
                "name": f"Bench group {start // GROUP_SIZE:04d}",
                "category": "Bench",
                "product_ids": ids[start : start + GROUP_SIZE],
            },
        )
        await call(http, "POST", f"/v1/groups/{group['id']}/publish", {})
    skus = [s["sku"] for s in await call(http, "GET", "/v1/skus")]
    seeded_rows = len(seeded) * len(skus) * len(CURRENCIES)
    rows = [
        {"product_id": pid, "sku": sku, "currency": currency, "unit_price": f"{1 + n % 50}.{n % 997:03d}"}
        for n, (pid, sku, currency) in enumerate((p, s, c) for p in ids for s in skus for c in CURRENCIES)
    ][: max(options.prices - seeded_rows, 0)]
    for start in range(0, len(rows), PRICE_CHUNK):
        await call(
            http,
            "POST",
            "/v1/price-books/vendor-sell/prices",
            {"effective_from": "2024-01-01", "entries": rows[start : start + PRICE_CHUNK]},
        )
    return len(orderable) + len(ids), time.perf_counter() - started, seeded_rows + len(rows)


async def timed_reads(http: httpx.AsyncClient, count: int) -> tuple[list[float], bytes]:
    latencies: list[float] = []
    body = b""
    for _ in range(count):
        started = time.perf_counter()
        response = await http.get("/v1/storefront/catalog", auth=STOREFRONT)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"storefront answered {response.status_code}: {response.text[:300]}")
        body = response.content
    return latencies, body


async def cold_reads(http: httpx.AsyncClient, count: int, product_id: str) -> list[float]:
    """Each read follows a write (a marketing-text update), so the answer is rebuilt."""
    latencies: list[float] = []
    for n in range(count):
        await call(http, "PATCH", f"/v1/products/{product_id}", {"marketing_text": f"Revision {n}"})
        latencies.extend((await timed_reads(http, 1))[0])
    return latencies


def count_products(body: bytes) -> int:
    return sum(len(group["products"]) for group in json.loads(body)["groups"])


async def run(options: Options) -> int:
    configure_logging("WARNING", json=True)
    databases = ThrowawayDatabases(os.environ.get(DATABASE_URL_ENV))
    async with embedded_broker() as broker:
        try:
            settings = CatalogSettings(
                database_url=await databases.create("catalog"),
                kafka_bootstrap_servers=broker.bootstrap_servers,
                migrate_on_start=True,
                log_level="WARNING",
            )
            port = free_port()
            server = uvicorn.Server(
                uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False)
            )
            task = asyncio.create_task(server.serve())
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                    return await measure(http, options, databases.backend)
            finally:
                server.should_exit = True
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=15)
        finally:
            await databases.drop_all()


async def measure(http: httpx.AsyncClient, options: Options, backend: str) -> int:
    expected, load_s, price_rows = await load_catalog(http, options)
    await timed_reads(http, 20)  # warm-up: first build, connections, code paths
    sequential, body = await timed_reads(http, options.requests)
    per_client = max(options.requests // max(options.concurrency, 1), 1)
    started = time.perf_counter()
    parallel_runs = await asyncio.gather(*(timed_reads(http, per_client) for _ in range(options.concurrency)))
    parallel_s = time.perf_counter() - started
    parallel = [latency for latencies, _ in parallel_runs for latency in latencies]
    first_product = (await call(http, "GET", "/v1/products", None))["items"][0]["id"]
    cold = await cold_reads(http, options.cold, first_product)
    shown = count_products(body)
    ok = shown == expected
    rows = [
        ("cached, 1 client", len(sequential), percentile(sequential, 50), percentile(sequential, 99), max(sequential)),
        (
            f"cached, {options.concurrency} clients",
            len(parallel),
            percentile(parallel, 50),
            percentile(parallel, 99),
            max(parallel),
        ),
        ("after a write (rebuild)", len(cold), percentile(cold, 50), percentile(cold, 99), max(cold)),
    ]
    print_table(
        f"storefront read ({backend}; {shown} products shown, {price_rows} price rows, answer {len(body) // 1024} KiB)",
        ["reads", "count", "p50 ms", "p99 ms", "max ms"],
        [(name, count, round(p50, 2), round(p99, 2), round(worst, 2)) for name, count, p50, p99, worst in rows],
    )
    print_table("checks", ["check", "ok"], [(f"storefront lists all {expected} orderable products", ok)])
    figures: dict[str, Figure] = {
        "bench": BENCH,
        "backend": backend,
        "products": shown,
        "price_rows": price_rows,
        "load_s": rounded(load_s, 1),
        "cached_p50_ms": rounded(percentile(sequential, 50), 2),
        "cached_p99_ms": rounded(percentile(sequential, 99), 2),
        "parallel_p99_ms": rounded(percentile(parallel, 99), 2),
        "parallel_reads_per_s": rounded(len(parallel) / parallel_s if parallel_s else float("nan")),
        "rebuild_p50_ms": rounded(percentile(cold, 50), 2),
        "rebuild_p99_ms": rounded(percentile(cold, 99), 2),
        "answer_kib": len(body) // 1024,
        "p99_target_ms": TARGET_P99_MS,
        "peak_rss_mb": rounded(peak_rss_mb()),
        "ok": ok,
    }
    print_result_line(figures)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    sys.exit(run_on(options.loop, run(options)))


if __name__ == "__main__":
    main()
