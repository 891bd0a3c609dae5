"""`create_app()`: the support-sla service as an ASGI app (with its breach scheduler)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import support_sla
from bss.clock import Clock
from bss.service_app import ServiceDefinition, create_service_app
from support_sla.api.imports import router as imports_router
from support_sla.api.programs import router as programs_router
from support_sla.api.settings import router as settings_router
from support_sla.api.tickets import incident_router
from support_sla.api.tickets import router as tickets_router
from support_sla.consumers import reseller_consumer
from support_sla.models import Base, messaging
from support_sla.scheduler import background_tasks
from support_sla.settings import SupportSLASettings, get_settings
from support_sla.usecases.settings import seed_settings

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def create_app(settings: SupportSLASettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(
        ServiceDefinition(
            name="support-sla",
            title="BSS Support SLA",
            description=(support_sla.__doc__ or "").strip(),
            settings=settings,
            metadata=Base.metadata,
            tables=messaging,
            migrations_dir=settings.migrations_dir or MIGRATIONS_DIR,
            routers=(tickets_router, incident_router, programs_router, settings_router, imports_router),
            consumers=lambda runtime: (reseller_consumer(runtime),),
            background=lambda runtime: background_tasks(runtime),
            on_start=seed_settings,
        ),
        clock=clock,
    )
