"""Fixtures of the gateway tests: one echo upstream for the session, gateways started on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio

from bss.embedded_broker import free_port
from gateway.main import create_app
from gateway.server import gateway_protocol
from gateway.settings import GatewaySettings
from tests.harness.databases import DatabaseFactory
from tests.harness.services import RunningServer, serve
from tests.integration.gateway.upstreams import echo_service

StartGateway = Callable[..., Awaitable[RunningServer]]


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def echo() -> AsyncIterator[RunningServer]:
    server = await serve(echo_service())
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def start_gateway(echo: RunningServer, databases: DatabaseFactory) -> AsyncIterator[StartGateway]:
    """Starts gateways in front of the echo service (subscriptions is down); stops them after the test.

    Keyword arguments override settings; `database_url` lets two replicas share one key database. `asgi_only`
    serves the gateway with uvicorn's own HTTP protocol: every proxied request then takes the ASGI proxy, which
    the gateway's protocol uses only for what its direct path leaves to it (`gateway.proxy_cycle`).
    """
    started: list[RunningServer] = []

    async def start(*, asgi_only: bool = False, **overrides: Any) -> RunningServer:
        values: dict[str, Any] = {
            "catalog_url": echo.base_url,
            "subscriptions_url": f"http://127.0.0.1:{free_port()}",  # nothing listens there
            "billing_url": echo.base_url,
            "support_url": echo.base_url,
            "max_body_bytes": 1024 * 1024,
            "log_json": False,
            "access_log": False,
            "check_key_tenants": False,  # subscriptions is down here: tests/e2e checks tenants against the real one
        }
        values.update(overrides)
        if "database_url" not in values:
            values["database_url"] = await databases.create("gateway")
        settings = GatewaySettings(**values)
        protocol = "httptools" if asgi_only else gateway_protocol(settings.connection_limits())
        server = await serve(create_app(settings), http=protocol)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def gateway(start_gateway: StartGateway) -> RunningServer:
    return await start_gateway()
