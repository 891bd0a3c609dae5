"""What every catalog write use case shares: the audit note and the idempotent create, on a `CatalogUseCase`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.idempotency import IdempotencyStore, IdempotentRequest, StoredAnswer
from catalog.adapters.repository import record_change
from catalog.models import messaging
from catalog.runtime import CatalogUseCase

IDEMPOTENCY = IdempotencyStore(messaging)
T = TypeVar("T")


def note(ctx: CatalogUseCase, session: AsyncSession, kind: str, subject: str) -> None:
    """Record the change in the catalog's audit log, in the use case's transaction (this bumps the version)."""
    record_change(
        session,
        kind,
        subject,
        ctx.caller.subject,
        effective_at=ctx.effective,
        recorded_at=ctx.now,
    )


async def create_once(
    ctx: CatalogUseCase,
    request: IdempotentRequest | None,
    result_type: type[T],
    work: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """A creating use case under an Idempotency-Key, in one transaction: a retry with the same key and body
    gets the first answer.

    The answer is stored as JSON and read back as `result_type`, so a retry gets the same typed result.
    """
    codec = _codec(result_type)
    async with ctx.transaction() as session:
        stored = await IDEMPOTENCY.find(session, request)
        if stored is not None:
            return codec.validate_python(stored.body)
        answer = await work(session)
        stored_answer = StoredAnswer(201, codec.dump_python(answer, mode="json"))
        await IDEMPOTENCY.remember(session, request, stored_answer, now=ctx.now)
        return answer


_CODECS: dict[type[Any], TypeAdapter[Any]] = {}


def _codec(result_type: type[T]) -> TypeAdapter[T]:
    """One JSON codec per result type, built on first use (building one costs more than using it)."""
    codec = _CODECS.get(result_type)
    if codec is None:
        codec = _CODECS[result_type] = TypeAdapter(result_type)
    return codec
