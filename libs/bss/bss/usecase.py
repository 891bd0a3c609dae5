"""`UseCase[S]`: what every write use case of every service runs with.

One convention for the four services (docs/architecture.md, "Use cases"):

- a **write** use case is `async def verb(ctx: UseCase[S], ...command) -> result`; it opens its own transaction
  with `async with ctx.transaction() as session:` and commits by leaving the block (rolls back by raising);
- a **read** use case is `async def read(runtime: Runtime[S], ...query) -> result`; it opens a session itself;
- background work (schedulers, consumers) builds its context with `UseCase.system(runtime, name, now)`.

The HTTP layer builds the context from the request (caller, `requested_at`), and nothing below it imports the
web framework.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic

from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.backdating import Instants
from bss.identity import Caller, Role
from bss.runtime import Runtime, S


@dataclass(frozen=True)
class UseCase(Generic[S]):
    """Who asks, at which instants, on which running service.

    Not slotted: calling a parametrized alias (`BillingUseCase(...)`) sets `__orig_class__` on the instance,
    which a frozen slotted dataclass refuses with a TypeError (a frozen one's AttributeError is ignored)."""

    runtime: Runtime[S]
    caller: Caller
    instants: Instants

    @classmethod
    def acting_now(cls, runtime: Runtime[S], caller: Caller, now: datetime | None = None) -> UseCase[S]:
        """`caller` acting at the real time (effective = recorded): the usual case of a request."""
        at = now if now is not None else runtime.clock.now()
        return cls(runtime, caller, Instants(effective=at, recorded=at))

    @classmethod
    def system(cls, runtime: Runtime[S], name: str, now: datetime | None = None) -> UseCase[S]:
        """The context of work nobody requested over HTTP: a scheduler's tick, a consumer's event."""
        return cls.acting_now(runtime, Caller(Role.SYSTEM, f"system:{name}"), now)

    @property
    def settings(self) -> S:
        return self.runtime.settings

    @property
    def now(self) -> datetime:
        """When the call really happened (what audit columns record)."""
        return self.instants.recorded

    @property
    def effective(self) -> datetime:
        """The instant the business rules apply at: `requested_at` when an admin backdated the call."""
        return self.instants.effective

    @property
    def today(self) -> date:
        """The day the change applies at (the backdated day, if any)."""
        return self.instants.effective.date()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session in one transaction: committed when the block ends, rolled back when it raises."""
        async with self.runtime.sessions() as session, session.begin():
            yield session

    def within(self, session: AsyncSession, *, effective: datetime | None = None) -> UseCase[S]:
        """This context inside a transaction its caller holds (and commits or rolls back), acting at `effective`
        (default: the same instant): how an import applies many use cases as one unit, or checks them in a dry
        run that rolls everything back."""
        instants = Instants(effective=effective if effective is not None else self.effective, recorded=self.now)
        return InTransaction(self.runtime, self.caller, instants, session)


@dataclass(frozen=True)
class InTransaction(UseCase[S]):
    """A `UseCase` whose `transaction()` is the session its caller holds: no begin, no commit (`UseCase.within`)."""

    session: AsyncSession

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        yield self.session
