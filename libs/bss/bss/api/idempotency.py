"""`Idempotency-Key` for POSTs that create things: the same key and body return the same answer.

The answer is stored in the same transaction as the creation, so a retry after a timeout either finds it
(and gets it again, without a second creation) or finds nothing because nothing was created. The same key
with a different body is a 409 problem. Keys are scoped per caller and route.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.db import insert_for
from bss.messaging.tables import MessagingTables
from bss.problems import Conflict

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Retry-safe creation: the same key and body return the first answer",
    ),
]


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    scope: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, *, caller: str, route: str, body: Any) -> IdempotentRequest | None:
        """None when the client sent no key; `body` is the parsed request (fingerprinted canonically)."""
        if key is None:
            return None
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
        return cls(scope=f"{caller}:{route}"[:200], key=key, fingerprint=hashlib.sha256(canonical).hexdigest())


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status: int
    body: Any


class IdempotencyStore:
    def __init__(self, tables: MessagingTables) -> None:
        self._table = tables.idempotency

    async def find(self, session: AsyncSession, request: IdempotentRequest | None) -> StoredAnswer | None:
        """The stored answer for this key, None if new; 409 if the key came before with another body."""
        if request is None:
            return None
        row = (
            await session.execute(
                select(self._table.c.fingerprint, self._table.c.status, self._table.c.response).where(
                    self._table.c.scope == request.scope, self._table.c.key == request.key
                )
            )
        ).first()
        if row is None:
            return None
        if row.fingerprint != request.fingerprint:
            raise Conflict(
                "This Idempotency-Key was used before with a different request; use a new key for a new request."
            )
        return StoredAnswer(status=row.status, body=json.loads(row.response))

    async def remember(
        self, session: AsyncSession, request: IdempotentRequest | None, answer: StoredAnswer, *, now: datetime
    ) -> None:
        """Store the answer in the creating transaction; a concurrent twin with the same key gets a 409."""
        if request is None:
            return
        statement = (
            insert_for(session)(self._table)
            .values(
                scope=request.scope,
                key=request.key,
                fingerprint=request.fingerprint,
                status=answer.status,
                response=json.dumps(answer.body, default=str).encode(),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["scope", "key"])
            .returning(self._table.c.key)
        )
        # No savepoint: a conflict inserts nothing, and the Conflict rolls the whole creation back.
        if (await session.execute(statement)).first() is None:
            raise Conflict("A request with this Idempotency-Key is being processed; retry in a moment.")
