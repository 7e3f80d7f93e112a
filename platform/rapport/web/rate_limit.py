"""Rate limits: token buckets of query-cost points, per actor and per client IP.

A bucket holds up to ``capacity`` points and refills at ``capacity / window`` points a second. A request
takes its cost from every bucket it is charged to, all or nothing; when one of them lacks the points,
nothing is taken and the answer says how long to wait (``Retry-After``).

Embedded: buckets in this process's memory. Production: buckets in redis (one Lua script per request,
with redis's own clock), shared by every app process.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError

log = structlog.get_logger("rapport.rate_limit")

PREFIX = "rapport:ratelimit:"


@dataclass(frozen=True)
class Charge:
    key: str  # "actor:user:a@b.c", "ip:10.0.0.1"
    cost: float
    capacity: float
    window: float  # seconds to refill a whole bucket

    @property
    def rate(self) -> float:
        return self.capacity / self.window


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until the charge would be allowed

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class RateLimiter(Protocol):
    async def take(self, charges: Sequence[Charge]) -> Decision: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Buckets in this process (embedded mode); the least recently used are forgotten beyond ``max_keys``."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (points, monotonic time)

    def _level(self, charge: Charge, now: float) -> float:
        points, at = self._buckets.get(charge.key, (charge.capacity, now))
        return min(charge.capacity, points + (now - at) * charge.rate)

    async def take(self, charges: Sequence[Charge]) -> Decision:
        now = time.monotonic()
        levels = [self._level(charge, now) for charge in charges]
        wait = max(((c.cost - level) / c.rate for c, level in zip(charges, levels, strict=True) if level < c.cost), default=0.0)
        if wait > 0:
            return Decision(False, wait)
        for charge, level in zip(charges, levels, strict=True):
            self._buckets[charge.key] = (level - charge.cost, now)
            self._buckets.move_to_end(charge.key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return Decision(True)

    async def close(self) -> None:
        self._buckets.clear()


# KEYS: bucket keys. ARGV: cost, then capacity and refill rate (points per ms) per key.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local levels = {}
local wait = 0
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local stored = redis.call('HMGET', KEYS[i], 'points', 'at')
  local points = tonumber(stored[1]) or capacity
  local at = tonumber(stored[2]) or now
  points = math.min(capacity, points + math.max(0, now - at) * rate)
  levels[i] = points
  if points < cost then
    wait = math.max(wait, (cost - points) / rate)
  end
end
if wait > 0 then
  return {0, tostring(wait)}
end
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', KEYS[i], 'points', tostring(levels[i] - cost), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(capacity / rate) + 1000)
end
return {1, '0'}
"""


class RedisRateLimiter:
    """Buckets in redis, shared by every app process. If redis is unreachable the request is allowed
    (and logged): a rate limit must not take the API down with it.

    A busy process is not an unreachable redis: when all ``max_connections`` are in use, a take waits up
    to ``pool_timeout`` seconds for one (a plain pool fails at once, and that failure would let requests
    through unlimited exactly when the API is under the most load). A take that still finds no
    connection is refused with a short ``Retry-After``."""

    def __init__(self, url: str, prefix: str = PREFIX, *, max_connections: int = 50, pool_timeout: float = 2.0,
                 connect_timeout: float = 2.0) -> None:
        self.prefix = prefix
        self.pool_timeout = pool_timeout
        pool = WaitingPool.from_url(url, max_connections=max_connections, timeout=pool_timeout,
                                    socket_connect_timeout=connect_timeout)
        self._client: Any = Redis(connection_pool=pool)
        self._script: Any = self._client.register_script(_TAKE)

    async def take(self, charges: Sequence[Charge]) -> Decision:
        costs = {charge.cost for charge in charges}
        if len(costs) != 1:
            raise ValueError("one request charges the same cost to each of its buckets")
        args: list[Any] = [costs.pop()]
        for charge in charges:
            args += [charge.capacity, charge.rate / 1000]
        try:
            allowed, wait = await self._script(keys=[self.prefix + c.key for c in charges], args=args)
        except PoolExhausted:
            log.warning("rate limit: no redis connection free in time, request refused", waited=self.pool_timeout)
            return Decision(False, 1.0)
        except Exception as error:
            log.warning("rate limit: redis unavailable, request allowed", error=str(error))
            return Decision(True)
        return Decision(bool(int(allowed)), float(wait) / 1000)

    async def close(self) -> None:
        await self._client.aclose()


class PoolExhausted(Exception):
    """Every connection of the limiter's pool stayed in use for the whole wait: redis is up, we are busy."""


class WaitingPool(BlockingConnectionPool):
    """redis-py's blocking pool, telling the end of its wait apart from a failure to connect."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get_connection(*args, **kwargs)
        except RedisConnectionError as error:
            # redis-py reports the end of the wait as a ConnectionError caused by the wait's timeout; a
            # failed connect has an OSError (or redis's own TimeoutError) behind it instead.
            if isinstance(error.__cause__, asyncio.TimeoutError):
                raise PoolExhausted from error
            raise


def build_rate_limiter(redis_url: str | None, namespace: str = "rapport") -> RateLimiter:
    return RedisRateLimiter(redis_url, prefix=f"{namespace}:ratelimit:") if redis_url else MemoryRateLimiter()
