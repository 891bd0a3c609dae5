"""Rate limits per key: a token bucket (`rate` tokens per second, at most `burst`; each request takes one).

`LocalLimiter` keeps the buckets in this process (the embedded default, one replica). `RedisLimiter` keeps
them in Redis, updated by one atomic Lua script that reads Redis's own clock, so every replica shares the
same buckets and clock skew between replicas does not matter. A replica takes tokens from Redis in small
leases (a tenth of the burst or 50 ms of the rate, whichever is smaller; one token for slow keys) and spends
them locally for at most a second, so a busy key costs one Redis round trip per lease, not per request; the
shared limit holds to within one lease per replica. When Redis cannot be reached the request is let through
and the failure logged (rate limiting protects capacity; it must not take the API down).
"""

from __future__ import annotations

import math
import time
from typing import Any, Protocol

import structlog

log = structlog.get_logger("gateway.ratelimit")


class Limiter(Protocol):
    def take_local(self, key: str, rate: float, burst: int) -> float | None:
        """Like `take` when it can be decided in this process; None when `take` must be awaited."""
        ...

    async def take(self, key: str, rate: float, burst: int) -> float:
        """0.0 when the request may pass, else the seconds to wait before retrying."""
        ...

    async def close(self) -> None: ...


def refill(tokens: float, elapsed: float, rate: float, burst: int) -> float:
    """The bucket after `elapsed` seconds: `rate` tokens per second added, capped at `burst`."""
    return min(float(burst), tokens + max(0.0, elapsed) * rate)


def take_token(tokens: float, rate: float) -> tuple[float, float]:
    """(tokens left, retry after): one token taken if there is one, else the wait until there is."""
    if tokens >= 1.0:
        return tokens - 1.0, 0.0
    return tokens, (1.0 - tokens) / rate


class LocalLimiter:
    """Buckets in a dict: key -> [tokens, last update (monotonic)]."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[str, list[float]] = {}
        self._max_keys = max_keys

    def take_now(self, key: str, rate: float, burst: int, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._prune(now)
            bucket = self._buckets[key] = [float(burst), now]
        # `take_token(refill(...))`, written out: this runs on every proxied request.
        tokens = min(float(burst), bucket[0] + max(0.0, now - bucket[1]) * rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / rate

    take_local = take_now  # always decided here

    async def take(self, key: str, rate: float, burst: int) -> float:
        return self.take_now(key, rate, burst)

    def _prune(self, now: float) -> None:
        # A bucket idle for a minute is (for any sane rate) full again: forgetting it changes nothing.
        self._buckets = {k: b for k, b in self._buckets.items() if now - b[1] < 60.0}
        if len(self._buckets) >= self._max_keys:
            self._buckets.clear()

    async def close(self) -> None:
        return None


def lease_size(rate: float, burst: int) -> int:
    """Tokens a replica takes from the shared bucket at once: min(burst / 10, 50 ms of rate), at least 1."""
    return max(1, min(burst // 10, math.ceil(rate * 0.05)))


# KEYS[1] bucket; ARGV rate, burst, tokens wanted. Returns {tokens granted, retry-after seconds as a string}.
TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local retry = 0
local granted = math.min(wanted, math.floor(tokens))
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  retry = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {granted, tostring(retry)}
"""
LEASE_S = 1.0


class RedisLimiter:
    """Buckets in Redis under `<prefix><key>`, shared by every gateway replica."""

    def __init__(self, url: str, prefix: str = "bss:gateway:rl:") -> None:
        import redis.asyncio as redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script: Any = self._redis.register_script(TOKEN_BUCKET_LUA)
        self._prefix = prefix
        self._last_error_log = 0.0
        self._leases: dict[str, list[float]] = {}  # key -> [tokens left, valid until (monotonic)]

    def take_local(self, key: str, rate: float, burst: int) -> float | None:
        lease = self._leases.get(key)
        if lease is not None and lease[0] >= 1 and lease[1] > time.monotonic():
            lease[0] -= 1
            return 0.0
        return None

    async def take(self, key: str, rate: float, burst: int) -> float:
        from redis.exceptions import RedisError

        try:
            granted, retry = await self._script(keys=[self._prefix + key], args=[rate, burst, lease_size(rate, burst)])
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            if now - self._last_error_log > 10.0:
                self._last_error_log = now
                log.error("rate limit store unreachable; letting requests through", error=str(exc))
            return 0.0
        if int(granted) < 1:
            return max(float(retry), 0.001)
        if int(granted) > 1:
            if len(self._leases) > 100_000:
                self._leases.clear()
            self._leases[key] = [int(granted) - 1, time.monotonic() + LEASE_S]
        return 0.0

    async def close(self) -> None:
        await self._redis.aclose()


def create_limiter(redis_url: str) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()
