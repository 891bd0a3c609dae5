"""The dependencies every service's routes share: the running service's parts and a database session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bss.service_app import Runtime


def get_runtime(request: Request) -> Runtime:
    """The `Runtime` the app's lifespan set up (engine, sessions, clock, outbox, settings)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session for reads; use cases that write open their own transaction."""
    async with runtime.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]
