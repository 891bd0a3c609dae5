"""The dependencies every service's routes share: the running service's parts and a database session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bss.runtime import Runtime
from bss.settings import ServiceSettings


async def get_runtime(request: Request) -> Runtime[ServiceSettings]:
    """The `Runtime` the app's lifespan set up (engine, sessions, clock, outbox, settings); `async` so that FastAPI
    calls it inline rather than in a worker thread.

    A service's own dependency alias names its runtime type with it
    (`RuntimeDep = Annotated[BillingRuntime, Depends(get_runtime)]`), so its routes see their settings typed."""
    runtime: Runtime[ServiceSettings] = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime[ServiceSettings], Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session for reads; use cases that write open their own transaction."""
    async with runtime.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]
