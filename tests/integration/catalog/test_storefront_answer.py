"""The storefront catalog kept encoded (docs/decisions/0021): 304 with no body for the ETag the client holds, 200 with
a new ETag once the catalog changed (on this replica, on another, or by a version whose date has come), gzip that
decodes to the very JSON of the identity answer, and a strong ETag per encoding."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bss.clock import FixedClock
from bss.embedded_broker import EmbeddedBroker, free_port
from catalog.adapters.catalog_version import PostgresVersionProbe, SqliteVersionProbe, version_probe
from catalog.adapters.repository import current_catalog_version
from catalog.domain.product_identity import product_id_for
from catalog.main import create_app
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, STOREFRONT, GatewayIdentity, headers_for
from tests.harness.services import running, service_settings
from tests.integration.catalog.harness import NOW, Catalog, running_catalog

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]
STOREFRONT_PATH = "/v1/storefront/catalog"
TIER1 = product_id_for("csp-commit-250")
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def catalog(databases: DatabaseFactory, broker: EmbeddedBroker) -> AsyncIterator[Catalog]:
    async with running_catalog(databases, broker) as running_one:
        assert (await running_one.admin("POST", "/v1/admin/services-definition/sync", json={})).status_code == 200
        yield running_one


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def reset_clock(catalog: Catalog) -> None:
    catalog.clock.set(NOW)


async def read(http: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await http.get(STOREFRONT_PATH, headers={**headers_for(STOREFRONT), **headers})


async def test_the_etag_held_answers_304_without_a_body(catalog: Catalog) -> None:
    first = await read(catalog.http, **GZIP)
    assert first.status_code == 200
    same = await read(catalog.http, **GZIP, **{"If-None-Match": first.headers["etag"]})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == first.headers["etag"]
    assert same.headers["vary"] == "Accept-Encoding"
    assert same.headers["cache-control"] == "no-cache"
    assert "content-encoding" not in same.headers
    weak_in_a_list = f'"something-else", W/{first.headers["etag"]}'
    assert (await read(catalog.http, **GZIP, **{"If-None-Match": weak_in_a_list})).status_code == 304


async def test_gzip_decodes_to_the_same_json_and_each_encoding_has_its_own_strong_etag(catalog: Catalog) -> None:
    zipped = await read(catalog.http, **GZIP)
    plain = await read(catalog.http, **IDENTITY)
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert json.loads(zipped.content) == json.loads(plain.content)  # httpx decoded the gzip
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert not zipped.headers["etag"].startswith("W/")
    assert not plain.headers["etag"].startswith("W/")
    refused = await read(catalog.http, **{"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    # the client holds the identity bytes and now accepts gzip: nothing changed, so 304 for the ETag it holds
    held = await read(catalog.http, **GZIP, **{"If-None-Match": plain.headers["etag"]})
    assert (held.status_code, held.headers["etag"]) == (304, plain.headers["etag"])


async def test_gzip_bytes_are_a_gzip_stream_of_the_identity_bytes(catalog: Catalog) -> None:
    plain = await read(catalog.http, **IDENTITY)
    async with httpx.AsyncClient(base_url=str(catalog.http.base_url), auth=GatewayIdentity("catalog")) as client:
        request = client.build_request("GET", STOREFRONT_PATH, headers={**headers_for(STOREFRONT), **GZIP})
        streamed = await client.send(request, stream=True)
        raw = b"".join([chunk async for chunk in streamed.aiter_raw()])
        await streamed.aclose()
    assert gzip.decompress(raw) == plain.content


async def test_a_catalog_change_gives_a_new_etag_and_the_old_one_a_full_answer(catalog: Catalog) -> None:
    before = await read(catalog.http, **GZIP)
    changed = await catalog.admin("PATCH", f"/v1/products/{TIER1}", json={"marketing_text": "Protects more now."})
    assert changed.status_code == 200
    after = await read(catalog.http, **GZIP, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    tier1 = next(p for g in after.json()["groups"] for p in g["products"] if p["id"] == TIER1)
    assert tier1["marketing_text"] == "Protects more now."


async def test_a_version_dated_tomorrow_is_shown_from_midnight_with_a_new_etag(catalog: Catalog) -> None:
    catalog.clock.set(datetime(2024, 3, 31, 23, 59, 30, tzinfo=UTC))
    version = {"effective_from": "2024-04-01", "name": "Tier 1 (renamed from April)", "tier": "Tier 1"}
    assert (await catalog.admin("POST", f"/v1/products/{TIER1}/versions", json=version)).status_code == 201
    evening = await read(catalog.http, **GZIP)
    names = {p["id"]: p["name"] for g in evening.json()["groups"] for p in g["products"]}
    assert names[TIER1] != "Tier 1 (renamed from April)"
    catalog.clock.set(datetime(2024, 4, 1, 0, 0, 1, tzinfo=UTC))
    morning = await read(catalog.http, **GZIP, **{"If-None-Match": evening.headers["etag"]})
    assert morning.status_code == 200
    assert morning.headers["etag"] != evening.headers["etag"]
    names = {p["id"]: p["name"] for g in morning.json()["groups"] for p in g["products"]}
    assert names[TIER1] == "Tier 1 (renamed from April)"


async def test_a_change_made_on_another_replica_gives_a_new_etag_at_the_next_read(
    databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    settings = await service_settings("catalog", databases, broker)
    first, second = create_app(settings, clock=FixedClock(NOW)), create_app(settings, clock=FixedClock(NOW))
    async with running(first) as one, running(second) as other:
        clients = [httpx.AsyncClient(base_url=s.base_url, auth=GatewayIdentity("catalog")) for s in (one, other)]
        reader, writer = clients
        try:
            synced = await writer.post("/v1/admin/services-definition/sync", json={}, headers=headers_for(ADMIN))
            assert synced.status_code == 200
            seen = await read(reader, **GZIP)
            patch = {"marketing_text": "Changed on the other replica."}
            changed = await writer.patch(f"/v1/products/{TIER1}", json=patch, headers=headers_for(ADMIN))
            assert changed.status_code == 200
            after = await read(reader, **GZIP, **{"If-None-Match": seen.headers["etag"]})
            assert after.status_code == 200
            assert after.headers["etag"] != seen.headers["etag"]
        finally:
            for client in clients:
                await client.aclose()


async def test_the_version_probe_reads_through_the_pool_while_its_own_connection_fails(catalog: Catalog) -> None:
    engine = catalog.runtime.engine
    expected = await current_catalog_version(engine)
    assert expected > 0
    broken_file = SqliteVersionProbe(engine, Path("/nonexistent-directory/catalog.db"))
    unreachable = PostgresVersionProbe(engine)
    unreachable.dsn = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    for probe in (broken_file, unreachable):
        assert await probe.current() == expected
        assert probe.connection is None
        await probe.close()
    assert await version_probe(engine).current() == expected
