"""`create_service_app`: the one way a service becomes a FastAPI app.

The lifespan opens the database (and migrates it in the embedded default), then connects to the broker in
the background: a broker that is down delays publishing and consuming, never the start or the API.
Once connected it runs the outbox relay and the service's consumers, and stops them in order. The service's
background tasks (`bss.background`) start once the database is ready and stop first at shutdown.

Topics: the embedded default creates the missing ones; production checks them against their declaration and
stops the service (exit 2 under `bss.serve`) when one is missing or weaker than declared (ADR 0016).
`/readyz` answers 503 while the database's schema is behind the code's migrations, so a roll-out waits for its
migration Job.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData

from bss.api.error_responses import document_problems
from bss.api.json_body import require_json_body_routes
from bss.api.query_parameters import refuse_unknown_query_parameters
from bss.background import BackgroundTask, start_background, stop_background
from bss.clock import Clock, SystemClock
from bss.db import check_reachable, create_engine, is_sqlite, ping, session_factory
from bss.kafka import KafkaError, TopicsNotAsDeclared, new_producer, prepare_topics
from bss.messaging.consumer import ConsumerConfig, ConsumerSpec, EventConsumer
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.messaging.relay import OutboxRelay, RelayConfig
from bss.messaging.tables import MessagingTables
from bss.migrations import database_schema, upgrade_to_head
from bss.observability import RequestContextMiddleware, configure_logging
from bss.problems import install_problem_handlers
from bss.runtime import Runtime as Runtime
from bss.runtime import S
from bss.settings import ServiceSettings

log = structlog.get_logger("bss.service")
METRICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}
}


@dataclass
class ServiceDefinition(Generic[S]):
    """What makes one service: its settings, tables, migrations, routes, consumers and background tasks.

    `consumers` and `background` get the running service's `Runtime[S]`, typed with these settings."""

    name: str
    title: str
    description: str
    settings: S
    metadata: MetaData
    tables: MessagingTables
    migrations_dir: Path
    routers: Sequence[APIRouter] = ()
    consumers: Callable[[Runtime[S]], Sequence[ConsumerSpec]] = lambda _runtime: ()
    background: Callable[[Runtime[S]], Sequence[BackgroundTask]] = lambda _runtime: ()
    on_start: Callable[[Runtime[S]], Awaitable[None]] | None = None
    """Run once the database is migrated, before the app serves: e.g. seed a fresh database's settings."""
    on_stop: Callable[[Runtime[S]], Awaitable[None]] | None = None
    """Run at shutdown, once the background tasks and messaging have stopped, before the database closes: e.g.
    close a connection a read cache keeps of its own."""
    version: str = "0.1.0"
    openapi_tags: list[dict[str, Any]] = field(default_factory=list)


def create_service_app(definition: ServiceDefinition[S], *, clock: Clock | None = None) -> FastAPI:
    settings = definition.settings
    require_json_body_routes(definition.routers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, json=settings.log_json)
        settings.check_production_ready()
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        try:
            await check_reachable(engine, definition.name, settings.env_var("database_url"))
            if settings.migrate_on_start:
                await upgrade_to_head(engine, definition.migrations_dir)
            runtime = Runtime(
                settings=settings,
                engine=engine,
                sessions=session_factory(engine),
                clock=clock or SystemClock(),
                outbox=Outbox(definition.tables, source=f"/bss/{definition.name}"),
                inbox=Inbox(definition.tables),
            )
            app.state.runtime = runtime
            if definition.on_start is not None:
                await definition.on_start(runtime)
            connector = asyncio.create_task(
                _run_messaging(definition, runtime, lambda problem: _stop_service(app, problem)),
                name=f"{definition.name}-messaging",
            )
            try:
                runtime.tasks = start_background(definition.background(runtime))
                log.info("service started", **settings.summary())
                yield
            finally:
                await stop_background(runtime.tasks)
                await _stop_messaging(runtime, connector)
                if definition.on_stop is not None:
                    await definition.on_stop(runtime)
        finally:
            await engine.dispose()

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        openapi_tags=definition.openapi_tags or None,
        dependencies=[Depends(refuse_unknown_query_parameters)],  # every operation, health included: 400
    )
    install_problem_handlers(app, public_prefix=public_path_prefix(definition.name))
    app.add_middleware(RequestContextMiddleware, service=definition.name)
    app.include_router(_health_router(definition.name, definition.migrations_dir))
    for router in definition.routers:
        app.include_router(router)
    document_problems(app)
    return app


GATEWAY_NAMES = {"support-sla": "support"}
"""A service's name in the gateway's paths where it differs from the service's own."""


def public_path_prefix(service: str) -> str:
    """Where clients reach a service's `/v1/...`: `/api/v1/<its gateway name>/...`."""
    return f"/api/v1/{GATEWAY_NAMES.get(service, service)}"


def _stop_service(app: FastAPI, problem: str) -> None:
    """Record why the service must not run and ask the server to stop (`bss.serve` then exits with code 2).

    Without a server that offers `request_exit` (an app under test), the service keeps answering, not ready."""
    app.state.fatal_error = problem
    request_exit = getattr(app.state, "request_exit", None)
    if request_exit is not None:
        request_exit()


async def _run_messaging(
    definition: ServiceDefinition[S], runtime: Runtime[S], stop_service: Callable[[str], None]
) -> None:
    """Connect to the broker (retrying while it is down), then run the relay and the consumers."""
    settings = runtime.settings
    create_topics = settings.environment == "embedded"
    backoff = 0.2
    while True:
        producer = new_producer(
            settings.kafka_bootstrap_servers,
            idempotent=bool(settings.kafka_idempotent_producer),
            client_id=f"{definition.name}{settings.kafka_client_id_suffix}",
        )
        try:
            await prepare_topics(settings.kafka_bootstrap_servers, create=create_topics)
            await producer.start()
            break
        except TopicsNotAsDeclared as exc:
            await producer.stop()
            runtime.broker_problem = str(exc)
            log.error("refusing to run on topics that are not as declared; stopping", error=str(exc))
            stop_service(f"{definition.name}: {exc}")
            return
        except (KafkaError, OSError, TimeoutError) as exc:
            await producer.stop()
            log.warning("broker not reachable yet; retrying", error=str(exc) or type(exc).__name__, backoff_s=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, settings.outbox_max_backoff_s)
    runtime.broker_connected = True
    runtime.relay = OutboxRelay(
        config=RelayConfig(
            service=definition.name,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
            retention_s=settings.outbox_retention_s,
            broker_check_interval_s=settings.outbox_broker_check_interval_s,
            max_backoff_s=settings.outbox_max_backoff_s,
            create_topics=create_topics,
        ),
        session_factory=runtime.sessions,
        tables=definition.tables,
        producer=producer,
        clock=runtime.clock,
        row_locking=not is_sqlite(settings.database_url),
    )
    consumer_config = ConsumerConfig(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{definition.name}{settings.kafka_client_id_suffix}",
        max_attempts=settings.consumer_max_attempts,
        batch_size=settings.consumer_batch_size,
        rewind_check_interval_s=settings.outbox_broker_check_interval_s,
        session_timeout_ms=settings.kafka_session_timeout_ms or 10_000,
    )
    runtime.consumers = [
        EventConsumer(
            spec=spec,
            config=consumer_config,
            session_factory=runtime.sessions,
            inbox=runtime.inbox,
            producer=producer,
            clock=runtime.clock,
        )
        for spec in definition.consumers(runtime)
    ]
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(_supervise("outbox relay", runtime.relay.run, runtime.relay.stopping))
            for consumer in runtime.consumers:
                group.create_task(_supervise(f"consumer {consumer.spec.name}", consumer.run, consumer.stopping))
    finally:
        await producer.stop()


async def _supervise(what: str, run: Callable[[], Any], stopping: Callable[[], bool]) -> None:
    """Keep a background loop alive: an unexpected crash is logged and the loop restarts after a pause."""
    pause = 0.5
    while not stopping():
        try:
            await run()
        except Exception:
            log.exception("background loop crashed; restarting", loop=what, pause_s=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)


async def _stop_messaging(runtime: Runtime[Any], connector: asyncio.Task[None]) -> None:
    if runtime.relay is not None:
        runtime.relay.stop()
    for consumer in runtime.consumers:
        consumer.stop()
    try:
        await asyncio.wait_for(asyncio.shield(connector), timeout=10)
    except (TimeoutError, asyncio.CancelledError):
        connector.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await connector
    except Exception as exc:  # a crashed relay or consumer must not hide the shutdown
        log.error("messaging stopped with an error", error=str(exc))


def _health_router(service: str, migrations_dir: Path) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get(
        "/readyz",
        summary="Readiness: the database and the broker are reachable, and the schema is migrated",
        description="503 while a dependency is unreachable or while the database's Alembic revision is behind "
        "the code's head (`schema` says which revision is current and which is expected): a new release's pods "
        "wait for its migration.",
        responses={
            503: {
                "description": "A dependency is unreachable, or the schema is behind the code",
                "content": {"application/json": {}},
            }
        },
    )
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime[ServiceSettings] = request.app.state.runtime
        checks = {"database": await _check(ping(runtime.engine)), "broker": await _broker_reachable(runtime)}
        body: dict[str, Any] = {"service": service, "checks": checks}
        try:
            revision = await database_schema(runtime.engine, migrations_dir)
        except Exception as exc:
            checks["schema"] = f"unknown: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        else:
            checks["schema"] = "behind" if revision.state == "behind" else "ok"
            body["schema"] = revision.as_json()
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", **body}, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response, responses=METRICS_RESPONSE)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _check(awaitable: Any) -> str:
    try:
        await awaitable
    except Exception as exc:
        return f"unreachable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    return "ok"


async def _broker_reachable(runtime: Runtime[Any]) -> str:
    if runtime.broker_problem is not None:
        return runtime.broker_problem
    if not runtime.broker_connected:
        return "not connected yet"
    for server in runtime.settings.kafka_bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            async with asyncio.timeout(1.0):
                _reader, writer = await asyncio.open_connection(host or "127.0.0.1", int(port))
            writer.close()
            return "ok"
        except (OSError, TimeoutError, ValueError):
            continue
    return "unreachable"
