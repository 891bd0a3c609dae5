"""API keys in the gateway's database: create (the token is returned once), list, read, revoke."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bss.db import transaction
from bss.identity import Role
from gateway.keys import new_token, secret_digest
from gateway.models import ApiKeyRow


class KeyNotFound(Exception):
    pass


class KeyStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def create(
        self,
        *,
        name: str,
        role: Role,
        tenant_id: str | None,
        expires_at: datetime | None,
        rate_limit_per_s: float | None,
        rate_limit_burst: int | None,
        created_by: str,
        now: datetime,
    ) -> tuple[ApiKeyRow, str]:
        """A new key row and the token to show once."""
        key_id, secret, token = new_token()
        row = ApiKeyRow(
            key_id=key_id,
            name=name,
            role=role.value,
            tenant_id=tenant_id,
            secret_sha256=secret_digest(secret),
            created_at=now,
            created_by=created_by,
            expires_at=expires_at,
            revoked_at=None,
            rate_limit_per_s=rate_limit_per_s,
            rate_limit_burst=rate_limit_burst,
        )
        async with transaction(self.sessions) as session:
            session.add(row)
        return row, token

    async def list(self, *, include_revoked: bool, after: str | None, limit: int) -> list[ApiKeyRow]:
        """Up to `limit` keys in key id order, starting after the key id `after`."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.key_id).limit(limit)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        if after is not None:
            query = query.where(ApiKeyRow.key_id > after)
        async with self.sessions() as session:
            return list((await session.scalars(query)).all())

    async def find(self, key_id: str) -> ApiKeyRow | None:
        async with self.sessions() as session:
            return await session.get(ApiKeyRow, key_id)

    async def revoke(self, key_id: str, *, now: datetime) -> ApiKeyRow:
        """Marks the key revoked (idempotent: a second revoke keeps the first instant)."""
        async with transaction(self.sessions) as session:
            row = await session.get(ApiKeyRow, key_id, with_for_update=True)
            if row is None:
                raise KeyNotFound(key_id)
            if row.revoked_at is None:
                row.revoked_at = now
        return row
