"""FastAPI dependencies of the catalog: the runtime, a read session, write contexts and "load or 404" ids."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request

from bss.api.backdating import resolve_instants
from bss.api.runtime import Session as Session
from bss.api.runtime import get_runtime
from bss.identity import Caller
from catalog.errors import ProductNotFound
from catalog.models import Product
from catalog.runtime import CatalogRuntime
from catalog.usecases.context import WriteContext
from catalog.usecases.storefront import StorefrontCache


def get_storefront_cache(request: Request) -> StorefrontCache:
    cache: StorefrontCache = request.app.state.storefront_cache
    return cache


RuntimeDep = Annotated[CatalogRuntime, Depends(get_runtime)]
StorefrontCacheDep = Annotated[StorefrontCache, Depends(get_storefront_cache)]


def writer(runtime: CatalogRuntime, caller: Caller, requested_at: datetime | None) -> WriteContext:
    """The context of an admin write: backdated to `requested_at` when given (admins only)."""
    return WriteContext(runtime, caller, resolve_instants(caller, requested_at, runtime.clock.now()))


async def existing_product(session: Session, product_id: Annotated[str, Path(description="Product id (uuid).")]) -> str:
    try:
        canonical = str(uuid.UUID(product_id))
    except ValueError as exc:
        raise ProductNotFound(product_id) from exc
    if await session.get(Product, canonical) is None:
        raise ProductNotFound(canonical)
    return canonical


ProductId = Annotated[str, Depends(existing_product)]
