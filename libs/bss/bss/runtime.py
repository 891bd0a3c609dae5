"""`Runtime[S]`: a running service's parts, typed with the service's own settings.

Each service names its runtime once (`BillingRuntime = Runtime[BillingSettings]`), so `runtime.settings` is
that service's settings wherever a use case, consumer or route reads it. This module imports no web
framework: use cases depend on it, not on `bss.service_app`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bss.clock import Clock
from bss.messaging.consumer import EventConsumer
from bss.messaging.inbox import Inbox
from bss.messaging.outbox import Outbox
from bss.messaging.relay import OutboxRelay
from bss.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


@dataclass
class Runtime(Generic[S]):
    """A running service's parts, at `app.state.runtime`; use cases get what they need from here."""

    settings: S
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    outbox: Outbox
    inbox: Inbox
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    broker_connected: bool = False
    broker_problem: str | None = None
    """Why the service refuses the broker (production topics not as declared); readiness reports it."""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    """The service's background tasks while they run (see `bss.background`)."""
    wakeups: dict[str, asyncio.Event] = field(default_factory=dict)
    """Named events a use case sets to wake a background task early (e.g. support's "due times changed")."""

    def wakeup(self, name: str) -> asyncio.Event:
        """The event named `name`, created on first use: a use case `.set()`s it, a background task waits on it."""
        return self.wakeups.setdefault(name, asyncio.Event())
