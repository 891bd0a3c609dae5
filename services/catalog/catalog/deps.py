"""FastAPI dependencies of the catalog: the runtime, the use-case context of a write, and "load or 404" ids.

There is no request-scoped session: read use cases open their own session, write use cases their own
transaction (`bss.usecase.UseCase`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request

from bss.api.backdating import resolve_instants
from bss.api.runtime import get_runtime
from bss.identity import Caller
from bss.usecase import UseCase
from catalog.runtime import CatalogRuntime, CatalogUseCase
from catalog.usecases.product_reads import require_product
from catalog.usecases.storefront import StorefrontCache


async def get_storefront_cache(request: Request) -> StorefrontCache:
    cache: StorefrontCache = request.app.state.storefront_cache
    return cache


RuntimeDep = Annotated[CatalogRuntime, Depends(get_runtime)]
StorefrontCacheDep = Annotated[StorefrontCache, Depends(get_storefront_cache)]


def use_case(runtime: CatalogRuntime, caller: Caller, requested_at: datetime | None) -> CatalogUseCase:
    """The context of an admin write: backdated to `requested_at` when given (admins only)."""
    return UseCase(runtime, caller, resolve_instants(caller, requested_at, runtime.clock.now()))


async def existing_product(
    runtime: RuntimeDep, product_id: Annotated[str, Path(description="Product id (uuid).")]
) -> str:
    """The canonical id of an existing product, else 404 (`ProductNotFound`)."""
    return await require_product(runtime, product_id)
