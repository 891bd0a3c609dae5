"""`create_app()`: the support-sla service as an ASGI app (with its breach scheduler)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

import support_sla
from bss.clock import Clock
from bss.service_app import Runtime, ServiceDefinition, create_service_app
from support_sla.api.programs import router as programs_router
from support_sla.api.tickets import incident_router
from support_sla.api.tickets import router as tickets_router
from support_sla.consumers import reseller_consumer
from support_sla.models import Base, messaging
from support_sla.scheduler import BreachScheduler
from support_sla.settings import SupportSLASettings, get_settings
from support_sla.usecases.context import Context

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def _context(app: FastAPI) -> Context:
    state = app.state
    if getattr(state, "support_context", None) is None:
        runtime: Runtime = state.runtime
        assert isinstance(runtime.settings, SupportSLASettings)
        state.support_context = Context(runtime.sessions, runtime.clock, runtime.outbox, runtime.settings)
    context: Context = state.support_context
    return context


def create_app(settings: SupportSLASettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_service_app(
        ServiceDefinition(
            name="support-sla",
            title="BSS Support SLA",
            description=(support_sla.__doc__ or "").strip(),
            settings=settings,
            metadata=Base.metadata,
            tables=messaging,
            migrations_dir=settings.migrations_dir or MIGRATIONS_DIR,
            routers=(tickets_router, incident_router, programs_router),
            consumers=lambda _runtime: (reseller_consumer(_context(app)),),
        ),
        clock=clock,
    )
    inner = app.router.lifespan_context

    # bss.service_app has no hook for background loops besides consumers: wrap its lifespan to run the
    # breach scheduler beside them (reported as a wanted change to the shared package).
    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            context = _context(application)
            scheduler = BreachScheduler(context) if settings.scheduler_enabled else None
            task = asyncio.create_task(scheduler.run(), name="support-sla-scheduler") if scheduler else None
            application.state.scheduler = scheduler
            try:
                yield
            finally:
                if scheduler and task:
                    scheduler.stop()
                    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                        await asyncio.wait_for(task, timeout=5)

    app.router.lifespan_context = lifespan
    return app
