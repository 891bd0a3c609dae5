"""`create_app()`: the billing service as an ASGI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import billing
from billing.adapters.usage_store import usage_store_for
from billing.api.acronis import router as acronis_router
from billing.api.customers import router as customers_router
from billing.api.invoices import router as invoices_router
from billing.api.settings import router as settings_router
from billing.api.usage import router as usage_router
from billing.api.views import router as views_router
from billing.consumers import billing_consumers
from billing.models import Base, messaging
from billing.runtime import BillingRuntime
from billing.scheduler import background_tasks
from billing.settings import BillingSettings, get_settings
from billing.usecases.settings import seed_settings
from bss.background import BackgroundTask
from bss.clock import Clock
from bss.messaging.consumer import ConsumerSpec
from bss.service_app import ServiceDefinition, create_service_app

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def create_app(settings: BillingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    store = usage_store_for(settings.database_url)  # the database's usage statements, chosen once

    def consumers(runtime: BillingRuntime) -> list[ConsumerSpec]:
        return billing_consumers(runtime, store)

    def background(runtime: BillingRuntime) -> list[BackgroundTask]:
        return background_tasks(runtime, store)

    app = create_service_app(
        ServiceDefinition(
            name="billing",
            title="BSS Billing",
            description=(billing.__doc__ or "").strip(),
            settings=settings,
            metadata=Base.metadata,
            tables=messaging,
            migrations_dir=settings.migrations_dir or MIGRATIONS_DIR,
            routers=[usage_router, invoices_router, views_router, acronis_router, settings_router, customers_router],
            consumers=consumers,
            background=background,
            on_start=seed_settings,
        ),
        clock=clock,
    )
    app.state.usage_store = store
    return app
