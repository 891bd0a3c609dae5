"""What a write use case runs with: the runtime, who asks, the effective and recorded instants."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.backdating import Instants
from bss.api.idempotency import IdempotencyStore, IdempotentRequest, StoredAnswer
from bss.identity import Caller
from bss.service_app import Runtime
from catalog.models import messaging
from catalog.repository import record_change

IDEMPOTENCY = IdempotencyStore(messaging)


@dataclass(frozen=True, slots=True)
class WriteContext:
    runtime: Runtime
    caller: Caller
    instants: Instants

    @property
    def today(self) -> date:
        """The default `effective_from`: the day the change applies at (the backdated day, if any)."""
        return self.instants.effective.date()

    @property
    def now(self) -> datetime:
        return self.instants.recorded

    def note(self, session: AsyncSession, kind: str, subject: str) -> None:
        record_change(
            session,
            kind,
            subject,
            self.caller.subject,
            effective_at=self.instants.effective,
            recorded_at=self.instants.recorded,
        )


async def in_transaction(ctx: WriteContext, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run one use case in one transaction: committed when `work` returns, rolled back when it raises."""
    async with ctx.runtime.sessions() as session, session.begin():
        return await work(session)


async def create_once(
    ctx: WriteContext,
    request: IdempotentRequest | None,
    work: Callable[[AsyncSession], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """A creating use case under an Idempotency-Key: a retry with the same key and body gets the first answer."""

    async def run(session: AsyncSession) -> dict[str, Any]:
        stored = await IDEMPOTENCY.find(session, request)
        if stored is not None:
            body: dict[str, Any] = stored.body
            return body
        answer = await work(session)
        await IDEMPOTENCY.remember(session, request, StoredAnswer(201, answer), now=ctx.now)
        return answer

    result: dict[str, Any] = await in_transaction(ctx, run)
    return result
