"""The key cache's lookups: requests with a key the cache does not know share one lookup, and a lookup that
predates a change of keys (a revocation on this replica) never fills the cache."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from bss.identity import Role
from gateway.auth import Authenticator, AuthError
from gateway.keys import new_token, secret_digest
from gateway.keystore import KeyStore
from gateway.models import ApiKeyRow
from gateway.settings import GatewaySettings

pytestmark = pytest.mark.asyncio


class SlowStore:
    """A key store whose lookups each wait for their turn (`release`), counting them."""

    def __init__(self) -> None:
        self.rows: list[ApiKeyRow | None] = []
        self.turns: list[asyncio.Event] = []
        self.lookups = 0

    def answers(self, row: ApiKeyRow | None) -> asyncio.Event:
        """The next lookup answers `row` once the returned event is set."""
        self.rows.append(row)
        self.turns.append(asyncio.Event())
        return self.turns[-1]

    async def find(self, key_id: str) -> ApiKeyRow | None:
        turn = self.lookups
        self.lookups += 1
        await self.turns[turn].wait()
        return self.rows[turn]


def key_row(secret: str, key_id: str, *, revoked: bool = False) -> ApiKeyRow:
    now = datetime.now(UTC)
    return ApiKeyRow(
        key_id=key_id,
        name="test",
        role=Role.ADMIN.value,
        tenant_id=None,
        secret_sha256=secret_digest(secret),
        created_at=now,
        created_by="test",
        expires_at=None,
        revoked_at=now if revoked else None,
        rate_limit_per_s=None,
        rate_limit_burst=None,
    )


def authenticator(store: SlowStore) -> Authenticator:
    settings: Any = GatewaySettings(database_url="sqlite+aiosqlite:///unused.db", bootstrap_admin_key=None)
    return Authenticator(settings, cast(KeyStore, store))


async def test_concurrent_requests_with_a_key_the_cache_does_not_know_share_one_lookup() -> None:
    key_id, secret, token = new_token()
    store = SlowStore()
    store.answers(key_row(secret, key_id)).set()
    auth = authenticator(store)
    principals = await asyncio.gather(*(auth.authenticate(token) for _ in range(20)))
    assert store.lookups == 1
    assert {principal.limit_key for principal in principals} == {f"key:{key_id}"}
    assert auth.cached(token) is principals[0]


async def test_a_refusal_is_shared_by_the_requests_that_waited_for_it_and_remembered() -> None:
    token = new_token()[2]
    store = SlowStore()
    store.answers(None).set()
    auth = authenticator(store)
    refused = await asyncio.gather(*(auth.authenticate(token) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(error, AuthError) and error.status == 401 for error in refused)
    with pytest.raises(AuthError):
        auth.cached(token)  # remembered: no second lookup
    assert store.lookups == 1


async def test_a_lookup_that_predates_a_revocation_does_not_fill_the_cache() -> None:
    key_id, secret, token = new_token()
    store = SlowStore()
    before = store.answers(key_row(secret, key_id))
    after = store.answers(key_row(secret, key_id, revoked=True))
    auth = authenticator(store)
    early = asyncio.create_task(auth.authenticate(token))
    await asyncio.sleep(0.01)
    auth.forget()  # the key was revoked on this replica meanwhile
    late = asyncio.create_task(auth.authenticate(token))
    await asyncio.sleep(0.01)
    assert store.lookups == 2  # the later request did not join the earlier lookup
    after.set()
    with pytest.raises(AuthError, match="revoked"):
        await late
    before.set()
    await early  # asked before the revocation: answered as it was
    with pytest.raises(AuthError, match="revoked"):
        auth.cached(token)  # the earlier answer did not overwrite the later one


async def test_a_request_that_goes_away_does_not_cancel_the_lookup_the_others_wait_for() -> None:
    key_id, secret, token = new_token()
    store = SlowStore()
    turn = store.answers(key_row(secret, key_id))
    auth = authenticator(store)
    leaving = asyncio.create_task(auth.authenticate(token))
    staying = asyncio.create_task(auth.authenticate(token))
    await asyncio.sleep(0.01)
    leaving.cancel()
    turn.set()
    assert (await staying).limit_key == f"key:{key_id}"
    assert leaving.cancelled()
    assert store.lookups == 1
