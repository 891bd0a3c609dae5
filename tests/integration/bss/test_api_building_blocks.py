"""Caller identity, idempotency keys, backdating and cursors, as a service route uses them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import BaseModel, SecretStr
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bss.api.backdating import resolve_instants
from bss.api.caller import Admin, CurrentCaller, tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotencyStore, IdempotentRequest, StoredAnswer
from bss.api.pagination import decode_cursor, encode_cursor
from bss.db import create_engine, session_factory
from bss.identity import Caller, Role
from bss.messaging.tables import MessagingTables
from bss.problems import Forbidden, ValidationProblem, install_problem_handlers
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import GatewayIdentity, headers_for, signed_headers

pytestmark = pytest.mark.asyncio(loop_scope="session")
SECRET = "test-secret-that-is-long-enough-for-production"

metadata = MetaData()
widgets = Table("widgets", metadata, Column("id", Integer, primary_key=True), Column("name", String(50)))
tables = MessagingTables.define(metadata)


class WidgetCreate(BaseModel):
    name: str


def headers(caller: Caller) -> dict[str, str]:
    """Signed for each request by the client's `GatewayIdentity`."""
    return headers_for(caller)


ADMIN = Caller(Role.ADMIN, "admin-1")
RESELLER = Caller(Role.RESELLER, "key-7", tenant_id="tenant-a")


def widget_app(engine: AsyncEngine) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.runtime = SimpleNamespace(
        settings=SimpleNamespace(identity_secret=SecretStr(SECRET), service_name="widgets")
    )
    sessions = session_factory(engine)
    store = IdempotencyStore(tables)

    @app.post("/v1/widgets", status_code=201)
    async def create(body: WidgetCreate, caller: CurrentCaller, key: IdempotencyKey = None) -> Any:
        request = IdempotentRequest.of(key, caller=caller.subject, route="create-widget", body=body.model_dump())
        async with sessions() as session, session.begin():
            stored = await store.find(session, request)
            if stored is not None:
                return stored.body
            result = await session.execute(insert(widgets).values(name=body.name).returning(widgets.c.id))
            answer = {"id": result.scalar_one(), "name": body.name}
            await store.remember(session, request, StoredAnswer(201, answer), now=datetime.now(UTC))
            return answer

    @app.get("/v1/admin-only")
    async def admin_only(caller: Admin) -> dict[str, str]:
        return {"subject": caller.subject}

    @app.get("/v1/scoped")
    async def scoped(caller: CurrentCaller, reseller_id: str | None = None) -> dict[str, str | None]:
        return {"scope": tenant_scope(caller, reseller_id)}

    return app


@pytest_asyncio.fixture(loop_scope="session")
async def client(databases: DatabaseFactory) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    engine = create_engine(await databases.create("api"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    transport = httpx.ASGITransport(app=widget_app(engine))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", auth=GatewayIdentity("widgets", SECRET)
    ) as http:
        yield http, engine
    await engine.dispose()


async def count_widgets(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(widgets))).scalar_one())


async def test_request_without_gateway_identity_is_refused(client: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    http, _ = client
    response = await http.post("/v1/widgets", json={"name": "a"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_identity_signed_with_another_secret_is_refused(client: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    http, _ = client
    wrong = "a-client-guessing-the-secret-wrongly"
    forged = signed_headers(ADMIN, audience="widgets", method="GET", target="/v1/admin-only", secret=wrong)
    response = await http.get("/v1/admin-only", headers=forged)
    assert response.status_code == 401


async def test_role_outside_the_allowed_ones_gets_403(client: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    http, _ = client
    assert (await http.get("/v1/admin-only", headers=headers(ADMIN))).status_code == 200
    refused = await http.get("/v1/admin-only", headers=headers(RESELLER))
    assert refused.status_code == 403
    assert "for admin" in refused.json()["detail"]


async def test_reseller_is_scoped_to_its_own_tenant(client: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    http, _ = client
    own = await http.get("/v1/scoped", headers=headers(RESELLER))
    other = await http.get("/v1/scoped", params={"reseller_id": "tenant-b"}, headers=headers(RESELLER))
    admin = await http.get("/v1/scoped", params={"reseller_id": "tenant-b"}, headers=headers(ADMIN))
    assert own.json() == {"scope": "tenant-a"}
    assert other.status_code == 404
    assert admin.json() == {"scope": "tenant-b"}


async def test_same_idempotency_key_and_body_returns_the_first_answer_and_creates_once(
    client: tuple[httpx.AsyncClient, AsyncEngine],
) -> None:
    http, engine = client
    before = await count_widgets(engine)
    first = await http.post("/v1/widgets", json={"name": "w"}, headers={**headers(ADMIN), "Idempotency-Key": "k-1"})
    again = await http.post("/v1/widgets", json={"name": "w"}, headers={**headers(ADMIN), "Idempotency-Key": "k-1"})
    assert first.json() == again.json()
    assert await count_widgets(engine) == before + 1


async def test_same_idempotency_key_with_another_body_is_a_conflict_and_writes_nothing(
    client: tuple[httpx.AsyncClient, AsyncEngine],
) -> None:
    http, engine = client
    await http.post("/v1/widgets", json={"name": "x"}, headers={**headers(ADMIN), "Idempotency-Key": "k-2"})
    before = await count_widgets(engine)
    clash = await http.post("/v1/widgets", json={"name": "y"}, headers={**headers(ADMIN), "Idempotency-Key": "k-2"})
    assert clash.status_code == 409
    assert "different request" in clash.json()["detail"]
    assert await count_widgets(engine) == before


async def test_idempotency_keys_are_scoped_per_caller(client: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    http, engine = client
    before = await count_widgets(engine)
    await http.post("/v1/widgets", json={"name": "z"}, headers={**headers(ADMIN), "Idempotency-Key": "shared"})
    await http.post("/v1/widgets", json={"name": "z"}, headers={**headers(RESELLER), "Idempotency-Key": "shared"})
    assert await count_widgets(engine) == before + 2


async def test_backdating_is_for_admins_only_and_keeps_the_real_time() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    earlier = datetime(2023, 10, 31, 23, 59, tzinfo=UTC)
    instants = resolve_instants(ADMIN, earlier, now)
    assert (instants.effective, instants.recorded, instants.backdated) == (earlier, now, True)
    assert resolve_instants(RESELLER, None, now).effective == now
    with pytest.raises(Forbidden):
        resolve_instants(RESELLER, earlier, now)
    with pytest.raises(ValidationProblem):
        resolve_instants(ADMIN, now + timedelta(hours=1), now)


async def test_cursor_round_trips_and_a_forged_cursor_is_a_validation_problem() -> None:
    key = ["2024-01-01", "0190c3a1-2001-7000-8000-000000000201"]
    assert decode_cursor(encode_cursor(key)) == key
    with pytest.raises(ValidationProblem):
        decode_cursor("not-a-cursor!")
