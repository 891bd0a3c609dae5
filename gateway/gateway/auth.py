"""Who is calling: an API key (`X-API-Key` or `Authorization: Bearer bss_...`) or a signed JWT bearer token.

Authenticated keys and tokens are cached in process for `key_cache_ttl_s` (5 s by default): a revoked key is
refused by every replica within that time; an expired one at once (the expiry is checked on every hit).
Unknown keys are cached too (negative entries), so a flood of bad keys does not reach the database. Concurrent
requests with a credential the cache does not know (every busy key, each time its entry expires) share one
lookup instead of each making its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import jwt
import structlog
from sqlalchemy.exc import SQLAlchemyError

from bss.identity import Caller, InvalidIdentity, Role
from gateway.keys import TOKEN_PREFIX, Principal, parse_token, secret_matches
from gateway.keystore import KeyStore
from gateway.settings import GatewaySettings

log = structlog.get_logger("gateway.auth")
_MAX_CACHED = 50_000


class AuthError(Exception):
    """401: the credentials are missing, unknown, revoked, expired or invalid; `detail` says which."""

    def __init__(self, detail: str, status: int = 401) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status


@dataclass(slots=True)
class _Entry:
    principal: Principal | None  # None: a refused credential
    refusal: str
    valid_until: float  # monotonic


class Authenticator:
    def __init__(self, settings: GatewaySettings, store: KeyStore) -> None:
        self.settings = settings
        self.store = store
        self.ttl_s = settings.key_cache_ttl_s
        bootstrap = settings.bootstrap_admin_key.get_secret_value() if settings.bootstrap_admin_key else ""
        self._bootstrap = hashlib.sha256(bootstrap.encode()).digest() if bootstrap else None
        self._jwt_key = settings.jwt_key.get_secret_value()
        self._cache: dict[str, _Entry] = {}
        self._lookups: dict[str, asyncio.Task[Principal]] = {}

    def cached(self, token: str) -> Principal | None:
        """The principal for `token` if the cache knows it (AuthError if it knows it is refused), else None."""
        entry = self._cache.get(token)
        if entry is None or entry.valid_until < time.monotonic():
            return None
        principal = entry.principal
        if principal is None:
            raise AuthError(entry.refusal)
        if principal.expires_at is not None and principal.expires_at <= time.time():
            raise AuthError("The credential has expired; ask an administrator for a new one.")
        return principal

    async def authenticate(self, token: str) -> Principal:
        """The principal for a bearer token or API key; AuthError when refused."""
        principal = self.cached(token)
        if principal is not None:
            return principal
        lookup = self._lookups.get(token)
        if lookup is None:
            # A task of its own: a caller that goes away does not cancel the lookup the others wait for.
            lookup = self._lookups[token] = asyncio.ensure_future(self._authenticate(token))
            lookup.add_done_callback(lambda done: self._looked_up(token, done))
        return await asyncio.shield(lookup)

    def _looked_up(self, token: str, lookup: asyncio.Task[Principal]) -> None:
        if self._lookups.get(token) is lookup:
            del self._lookups[token]
        if not lookup.cancelled():
            lookup.exception()  # its callers got it; a lookup whose callers all left must not warn

    async def _authenticate(self, token: str) -> Principal:
        try:
            principal = await self._load(token)
        except AuthError as refused:
            if refused.status == 401 and self._still_wanted(token):
                self._remember(token, None, refused.detail, self.ttl_s)
            raise
        ttl = self.ttl_s
        if principal.expires_at is not None:
            ttl = min(ttl, principal.expires_at - time.time())
        if self._still_wanted(token):
            self._remember(token, principal, "", ttl)
        return principal

    def _still_wanted(self, token: str) -> bool:
        """False for a lookup that `forget` dropped (a key revoked meanwhile): its answer must not be cached."""
        return self._lookups.get(token) is asyncio.current_task()

    def forget(self, token: str | None = None) -> None:
        """Drop one cached credential, or all of them."""
        if token is None:
            self._cache.clear()
            self._lookups.clear()  # lookups under way may predate the change: later callers look up afresh
        else:
            self._cache.pop(token, None)
            self._lookups.pop(token, None)

    def _remember(self, token: str, principal: Principal | None, refusal: str, ttl: float) -> None:
        if ttl <= 0:
            return
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()  # rare: a flood of distinct tokens; the cache refills from live traffic
        self._cache[token] = _Entry(principal, refusal, time.monotonic() + ttl)

    async def _load(self, token: str) -> Principal:
        if token.startswith(TOKEN_PREFIX):
            return await self._load_key(token)
        if self._bootstrap is not None and hmac.compare_digest(
            hashlib.sha256(token.encode()).digest(), self._bootstrap
        ):
            return self._principal(Caller(Role.ADMIN, "bootstrap-admin"), "key:bootstrap", None, None, None)
        if token.count(".") == 2:
            return self._load_jwt(token)
        raise AuthError("The API key is not valid.")

    async def _load_key(self, token: str) -> Principal:
        parsed = parse_token(token)
        if parsed is None:
            raise AuthError("The API key is not valid.")
        key_id, secret = parsed
        try:
            row = await self.store.find(key_id)
        except (SQLAlchemyError, OSError) as exc:
            log.error("key store unavailable", error=str(exc))
            raise AuthError("Keys cannot be checked right now; try again shortly.", status=503) from exc
        if row is None or not secret_matches(secret, row.secret_sha256):
            raise AuthError("The API key is not valid.")
        if row.revoked_at is not None:
            raise AuthError("The API key has been revoked.")
        expires = row.expires_at.timestamp() if row.expires_at is not None else None
        if expires is not None and expires <= time.time():
            raise AuthError("The API key has expired; ask an administrator for a new one.")
        caller = Caller(Role(row.role), f"key:{row.key_id}", tenant_id=row.tenant_id)
        return self._principal(caller, f"key:{row.key_id}", expires, row.rate_limit_per_s, row.rate_limit_burst)

    def _load_jwt(self, token: str) -> Principal:
        if not self._jwt_key:
            raise AuthError("Bearer tokens are not accepted here: JWT is not configured; use an API key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._jwt_key,
                algorithms=self.settings.jwt_algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"The bearer token was refused: {exc}.") from exc
        try:
            tenant = claims.get("tenant")
            caller = Caller(
                Role(str(claims.get("role"))), str(claims["sub"]), tenant_id=str(tenant) if tenant else None
            )
        except (ValueError, InvalidIdentity) as exc:
            raise AuthError(f"The bearer token was refused: its role or tenant is not valid ({exc}).") from exc
        return self._principal(caller, f"jwt:{claims['sub']}", float(claims["exp"]), None, None)

    def _principal(
        self, caller: Caller, limit_key: str, expires: float | None, rate: float | None, burst: int | None
    ) -> Principal:
        return Principal(
            caller=caller,
            limit_key=limit_key,
            rate_per_s=rate or self.settings.rate_limit_per_s,
            burst=burst or self.settings.rate_limit_burst,
            expires_at=expires,
        )
