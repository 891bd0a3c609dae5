"""`create_app()`: the subscriptions service as an ASGI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import subscriptions
from bss.clock import Clock
from bss.service_app import ServiceDefinition, create_service_app
from subscriptions.api import imports, operations, resellers
from subscriptions.api import settings as settings_routes
from subscriptions.api import subscriptions as subscription_routes
from subscriptions.consumers import consumers
from subscriptions.models import Base, messaging
from subscriptions.scheduler import background_tasks
from subscriptions.settings import SubscriptionsSettings, get_settings
from subscriptions.usecases.settings import seed_settings

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def create_app(settings: SubscriptionsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(
        ServiceDefinition(
            name="subscriptions",
            title="BSS Subscriptions",
            description=(subscriptions.__doc__ or "").strip(),
            settings=settings,
            metadata=Base.metadata,
            tables=messaging,
            migrations_dir=settings.migrations_dir or MIGRATIONS_DIR,
            routers=(
                resellers.router,
                subscription_routes.router,
                operations.router,
                settings_routes.router,
                imports.router,
            ),
            consumers=consumers,
            background=background_tasks,
            on_start=seed_settings,
        ),
        clock=clock,
    )
