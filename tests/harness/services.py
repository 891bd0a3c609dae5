"""Running the real service apps inside a test: each on its own database, the real broker, a real port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from bss.embedded_broker import EmbeddedBroker, free_port
from bss.settings import ServiceSettings
from tests.harness.databases import DatabaseFactory

SERVICE_MODULES = {
    "catalog": ("catalog.main", "catalog.settings", "CatalogSettings"),
    "subscriptions": ("subscriptions.main", "subscriptions.settings", "SubscriptionsSettings"),
    "billing": ("billing.main", "billing.settings", "BillingSettings"),
    "support-sla": ("support_sla.main", "support_sla.settings", "SupportSLASettings"),
}


def service_factory(name: str) -> tuple[Callable[..., FastAPI], type[ServiceSettings]]:
    import importlib

    main_module, settings_module, settings_class = SERVICE_MODULES[name]
    create_app = importlib.import_module(main_module).create_app
    settings_type = getattr(importlib.import_module(settings_module), settings_class)
    return create_app, settings_type


async def service_settings(
    name: str, databases: DatabaseFactory, broker: EmbeddedBroker, **overrides: Any
) -> ServiceSettings:
    _, settings_type = service_factory(name)
    return settings_type(
        database_url=await databases.create(name.replace("-", "_")),
        kafka_bootstrap_servers=broker.bootstrap_servers,
        migrate_on_start=True,
        log_json=False,
        outbox_poll_interval_s=0.05,
        outbox_broker_check_interval_s=0.5,
        kafka_session_timeout_ms=2000,
        **overrides,
    )


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server inside another program: Ctrl-C and SIGTERM stay that program's to handle."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningServer:
    base_url: str
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, timeout=15)


async def serve(app: Any, port: int | None = None, *, http: Any = "auto") -> RunningServer:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in this event loop; returns once it accepts requests.
    `http` is uvicorn's protocol (the gateway's own, `GatewayHttpProtocol`, for the gateway)."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on", http=http
    )
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped at start")
        if loop.time() > deadline:
            raise TimeoutError("server did not start in 30s")
        await asyncio.sleep(0.02)
    return RunningServer(f"http://127.0.0.1:{port}", server, task)


@contextlib.asynccontextmanager
async def running(app: Any) -> AsyncIterator[RunningServer]:
    server = await serve(app)
    try:
        yield server
    finally:
        await server.stop()


async def wait_ready(base_url: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """Poll /readyz until it answers 200 (database and broker reachable)."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            response = await client.get("/readyz")
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            if loop.time() > deadline:
                raise TimeoutError(f"{base_url} not ready: {response.text}")
            await asyncio.sleep(0.1)
