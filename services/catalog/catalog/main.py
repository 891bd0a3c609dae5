"""`create_app()`: the catalog service as an ASGI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

import catalog
from bss.clock import Clock
from bss.service_app import ServiceDefinition, create_service_app
from catalog.api import catalog_structure, groups, prices, products
from catalog.models import Base, messaging
from catalog.settings import CatalogSettings, get_settings
from catalog.usecases.storefront import StorefrontCache

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def create_app(settings: CatalogSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    storefront = StorefrontCache()
    app = create_service_app(
        ServiceDefinition(
            name="catalog",
            title="BSS Catalog",
            description=(catalog.__doc__ or "").strip(),
            settings=settings,
            metadata=Base.metadata,
            tables=messaging,
            migrations_dir=settings.migrations_dir or MIGRATIONS_DIR,
            routers=[products.router, catalog_structure.router, prices.router, groups.router],
            on_start=storefront.open,
            on_stop=storefront.close,
        ),
        clock=clock,
    )
    app.state.storefront_cache = storefront
    return app
