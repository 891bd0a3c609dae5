"""What a write use case runs with: the runtime, who asks, the effective and recorded instants."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.backdating import Instants
from bss.api.idempotency import IdempotencyStore, IdempotentRequest, StoredAnswer
from bss.identity import Caller
from catalog.adapters.repository import record_change
from catalog.models import messaging
from catalog.runtime import CatalogRuntime

IDEMPOTENCY = IdempotencyStore(messaging)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WriteContext:
    runtime: CatalogRuntime
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
    result_type: type[T],
    work: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """A creating use case under an Idempotency-Key: a retry with the same key and body gets the first answer.

    The answer is stored as JSON and read back as `result_type`, so a retry gets the same typed result.
    """
    codec = _codec(result_type)

    async def run(session: AsyncSession) -> T:
        stored = await IDEMPOTENCY.find(session, request)
        if stored is not None:
            return codec.validate_python(stored.body)
        answer = await work(session)
        stored_answer = StoredAnswer(201, codec.dump_python(answer, mode="json"))
        await IDEMPOTENCY.remember(session, request, stored_answer, now=ctx.now)
        return answer

    result: T = await in_transaction(ctx, run)
    return result


_CODECS: dict[type[Any], TypeAdapter[Any]] = {}


def _codec(result_type: type[T]) -> TypeAdapter[T]:
    """One JSON codec per result type, built on first use (building one costs more than using it)."""
    codec = _CODECS.get(result_type)
    if codec is None:
        codec = _CODECS[result_type] = TypeAdapter(result_type)
    return codec
