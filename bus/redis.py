"""The bus on Redis (``redis.asyncio`` with hiredis): one pool, one pub/sub connection."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bus.base import Batch, Bus, BusOverloaded, Data, LogEntry, Pieces, StreamEntry, Subscription
from bus.encoding import to_bytes
from bus.lock import hold_lock
from bus.redis_errors import translated
from bus.redis_stream import ConnectionSource, execute_streamed
from bus.redis_subscriber import SharedSubscriber
from bus.sentinel import sentinel_pool
from bus.urls import SENTINEL_SCHEME, scheme_of

# Compare-and-delete: only the holder's token may free the lock.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
# LPUSH unless the list is already ARGV[2] long (-1 then), in one atomic step.
_PUSH_BOUNDED = """
if redis.call('llen', KEYS[1]) >= tonumber(ARGV[2]) then
    return -1
end
return redis.call('lpush', KEYS[1], ARGV[1])
"""
# Hold a slot of KEYS[1] for ARGV[1] unless ARGV[3] others hold one (0 then): the
# holders are a sorted set scored by when each lapses (ms); ARGV[2] is now, ARGV[4]
# the lapse of this hold, ARGV[5] the key's own expiry (ms).
_CLAIM_SLOT = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[2])
if not redis.call('zscore', KEYS[1], ARGV[1])
        and redis.call('zcard', KEYS[1]) >= tonumber(ARGV[3]) then
    return 0
end
redis.call('zadd', KEYS[1], ARGV[4], ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[5])
return 1
"""
_LOG_FIELD = b"d"
_ORDER_FIELD = b"o"
_NEXT_NUMBER = "*"
"""In an append step: the batch's counter's next value is its order."""
_BLOCK_MARGIN = 1.0
"""How much sooner than the socket timeout a blocking step ends on the server."""
_SHORTEST_BLOCK = 0.01
_UNBOUNDED_BLOCK = math.inf
T = TypeVar("T")
# ARGV[1] ids of the stream KEYS[1], kept at length 1, in two XADDs however many:
# the first entry's <ms>-<seq> and the ids after it in that millisecond; the
# second entry, the last of them, keeps the stream's last id past them all. A
# <seq> too long to add to exactly in Lua takes one XADD per id instead. With a
# KEYS[2], the first id is stored there unless it exists (Bus.log_ids's first_into).
_LOG_IDS = """
local count = tonumber(ARGV[1])
local ids = {redis.call('xadd', KEYS[1], 'MAXLEN', '1', '*', 'd', '')}
local ms, seq = string.match(ids[1], '^(%d+)-(%d+)$')
if count > 1 and #seq <= 12 then
    for i = 2, count do
        ids[i] = ms .. '-' .. string.format('%d', tonumber(seq) + i - 1)
    end
    redis.call('xadd', KEYS[1], 'MAXLEN', '1', ids[count], 'd', '')
else
    for i = 2, count do
        ids[i] = redis.call('xadd', KEYS[1], 'MAXLEN', '1', '*', 'd', '')
    end
end
if KEYS[2] then  -- first_into: the first id, unless the key exists
    redis.call('set', KEYS[2], ids[1], 'NX')
end
return ids
"""
# A batch's commands (_RedisBatch) on one server, in order: ARGV[1] names the counter
# that numbers its appends ('' for none) and ARGV[2] how many they are; then each
# command as a name and its arguments (_RedisBatch._steps); the replies, in order.
_BATCH = """
local counter, order, replies, at = ARGV[1], 0, {}, 3
if counter ~= '' then
    order = redis.call('incrby', counter, ARGV[2]) - tonumber(ARGV[2])
end
while at <= #ARGV do
    local op, key, value = ARGV[at], ARGV[at + 1], ARGV[at + 2]
    if op == 'append' then  -- log, data, maxlen, order ('' none, '*' the counter's next)
        local number = ARGV[at + 4]
        if number == '*' then
            order = order + 1
            number = string.format('%d', order)
        end
        if number == '' then
            replies[#replies + 1] = redis.call(
                'xadd', key, 'MAXLEN', '~', ARGV[at + 3], '*', 'd', value)
        else
            replies[#replies + 1] = redis.call(
                'xadd', key, 'MAXLEN', '~', ARGV[at + 3], '*', 'd', value, 'o', number)
        end
        at = at + 5
    elseif op == 'range' then  -- log, exclusive start id, count
        replies[#replies + 1] = redis.call('xrange', key, value, '+', 'COUNT', ARGV[at + 3])
        at = at + 4
    else
        if op == 'trim' then  -- log, oldest id kept
            replies[#replies + 1] = redis.call('xtrim', key, 'MINID', '~', value)
        elseif op == 'publish' then  -- channel, data
            replies[#replies + 1] = redis.call('publish', key, value)
        elseif op == 'expire' then  -- key, milliseconds
            replies[#replies + 1] = redis.call('pexpire', key, value)
        elseif op == 'set' then  -- key, data
            replies[#replies + 1] = redis.call('set', key, value)
        else  -- 'setnx': key, data
            replies[#replies + 1] = redis.call('set', key, value, 'NX')
        end
        at = at + 3
    end
end
return replies
"""
# The casts below: decode_responses is off, so replies are bytes, whatever the
# union redis-py's annotations allow.


def _milliseconds(seconds: float) -> int:
    # Redis refuses a zero PX; the shortest it takes is one millisecond.
    return max(1, round(seconds * 1000))


class RedisBus(Bus):
    """The bus on a Redis server, or on the master that Redis Sentinel names.

    Commands share one :class:`BlockingConnectionPool` of ``max_connections``
    (a caller waits up to ``pool_timeout`` s for a free one instead of failing);
    every subscription shares one pub/sub connection, checked every
    ``health_check_interval`` s. Every command's reply must come within
    ``socket_timeout`` s, or it fails with :class:`~bus.base.BusUnavailable`: a
    server that stops answering without closing its sockets (frozen, or cut off
    by a partition that sends no reset) costs each command that long, never a
    hang. A blocking pop longer than that is a series of shorter ones. ``clock``
    (Unix seconds) dates the retention cut-off of logs. With a
    ``redis+sentinel://`` URL every connection, the subscriber's too, asks the
    sentinels for the master as it connects, so all of them follow a failover.
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 8,
        pool_timeout: float = 5.0,
        connect_timeout: float = 2.0,
        socket_timeout: float = 5.0,
        health_check_interval: float = 5.0,
        client_name: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        options: dict[str, Any] = {
            "max_connections": max_connections,
            "timeout": pool_timeout,
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": connect_timeout,
            "health_check_interval": health_check_interval,
            "client_name": client_name,
            # One immediate retry replaces a pooled connection that died with a
            # restarted server (or a failed-over master); a server that is down
            # still fails at once.
            "retry": Retry(NoBackoff(), 1),
        }
        pool: ConnectionPool
        if scheme_of(url) == SENTINEL_SCHEME:
            pool = sentinel_pool(url, **options)
        else:
            pool = BlockingConnectionPool.from_url(url, **options)
        self._setup(url, Redis.from_pool(pool), clock, socket_timeout)
        self._subscriber = SharedSubscriber(
            self._pubsub_connection, health_check_interval=health_check_interval
        )

    @classmethod
    def from_client(
        cls,
        client: Redis,
        *,
        url: str = "redis://",
        health_check_interval: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> RedisBus:
        """A bus over an existing client (fakeredis's ``FakeAsyncRedis`` in tests); it closes it."""
        bus = cls.__new__(cls)
        bus._setup(url, client, clock, None)
        bus._subscriber = SharedSubscriber(
            bus._pubsub_connection, health_check_interval=health_check_interval
        )
        return bus

    def _setup(
        self, url: str, client: Redis, clock: Callable[[], float], socket_timeout: float | None
    ) -> None:
        self.url = url
        self._longest_block = (
            _UNBOUNDED_BLOCK
            if socket_timeout is None
            else socket_timeout - min(_BLOCK_MARGIN, socket_timeout / 2)
        )
        self._client = client
        self._clock = clock
        self._release_script = client.register_script(_RELEASE)
        self._push_bounded_script = client.register_script(_PUSH_BOUNDED)
        self._log_ids_script = client.register_script(_LOG_IDS)
        self._claim_slot_script = client.register_script(_CLAIM_SLOT)

    @property
    def connection_pool(self) -> ConnectionPool:
        """The pool of command connections, for other clients of this bus's Redis."""
        return self._client.connection_pool

    def _pubsub_connection(self) -> AbstractConnection:
        pool = self._client.connection_pool
        options: dict[str, Any] = {
            **pool.connection_kwargs,
            # The listener waits for messages indefinitely (a socket
            # timeout would make it reconnect in every quiet spell); the subscriber
            # does its own health checks, and reads RESP2 replies.
            "socket_timeout": None,
            "health_check_interval": 0,
            "protocol": 2,
            "retry": Retry(NoBackoff(), 0),
        }
        connection: AbstractConnection = pool.connection_class(**options)
        return connection

    @property
    def subscription_count(self) -> int:
        """Live subscriptions in this process, for leak checks."""
        return self._subscriber.subscription_count

    @property
    def pubsub_connections(self) -> int:
        return self._subscriber.connection_count

    # lifecycle -----------------------------------------------------------
    async def connect(self) -> None:
        await self.ping()

    async def close(self) -> None:
        await self._subscriber.close()
        await self._client.aclose()

    async def ping(self) -> None:
        with translated():
            await self._client.ping()

    def add_connection_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        return self._subscriber.add_listener(listener)

    def batch(self, *, order: str | None = None) -> Batch:
        return _RedisBatch(self, self._client, self._clock, order=order)

    # queues ---------------------------------------------------------------
    async def push(self, queue: str, data: Data | Pieces, *, max_length: int | None = None) -> int:
        with translated():
            if isinstance(data, Pieces):
                length = int(await self._push_pieces(queue, data, max_length))
            elif max_length is None:
                return int(await self._client.lpush(queue, to_bytes(data)))
            else:
                length = int(
                    await self._push_bounded_script(keys=[queue], args=[to_bytes(data), max_length])
                )
        if length < 0:
            raise BusOverloaded(f"{queue} already holds {max_length} items")
        return length

    async def _push_pieces(self, queue: str, data: Pieces, max_length: int | None) -> Any:
        name = queue.encode()
        if max_length is None:
            return await execute_streamed(self._pool_of(queue), [b"LPUSH", name], data)
        script = [b"EVAL", _PUSH_BOUNDED.encode(), b"1", name]
        return await execute_streamed(self._pool_of(queue), script, data, [b"%d" % max_length])

    def _pool_of(self, key: str) -> ConnectionSource:
        """Where a connection that serves ``key`` comes from."""
        return self._client.connection_pool

    async def pop_into(self, queue: str, processing: str, timeout: float) -> bytes | None:  # noqa: ASYNC109
        """``BRPOPLPUSH`` (fakeredis's ``BLMOVE`` does not block); zero or less: ``RPOPLPUSH``."""

        async def moved(wait: float) -> bytes | None:
            if wait <= 0:
                return cast("bytes | None", await self._client.rpoplpush(queue, processing))
            reply = await self._client.brpoplpush(queue, processing, timeout=wait)
            return cast("bytes | None", reply)

        return await self._blocking(moved, timeout)

    async def _blocking(
        self,
        step: Callable[[float], Awaitable[T | None]],
        timeout: float,  # noqa: ASYNC109
    ) -> T | None:
        # Each step is answered within the socket timeout, found or not; a wait too
        # short for Redis (which reads a zero timeout as forever) does not block.
        deadline = time.monotonic() + timeout
        with translated():
            while True:
                left = deadline - time.monotonic()
                wait = min(left, self._longest_block)
                found = await step(wait if wait >= _SHORTEST_BLOCK else 0)
                if found is not None or left <= self._longest_block:
                    return found

    async def remove(self, queue: str, data: Data) -> int:
        with translated():
            return int(await self._client.lrem(queue, 1, to_bytes(data)))  # type: ignore[arg-type]  # stubs want str

    async def items(self, queue: str) -> list[bytes]:
        with translated():
            items = cast("list[bytes]", await self._client.lrange(queue, 0, -1))
        return items[::-1]

    # keys -------------------------------------------------------------------
    async def get(self, key: str) -> bytes | None:
        with translated():
            return cast("bytes | None", await self._client.get(key))

    async def get_many(self, *keys: str) -> list[bytes | None]:
        if not keys:
            return []
        with translated():
            return cast("list[bytes | None]", await self._client.mget(keys))

    async def set(
        self, key: str, data: Data, *, ttl: float | None = None, only_if_missing: bool = False
    ) -> bool:
        expiry = None if ttl is None else _milliseconds(ttl)
        with translated():
            return bool(await self._client.set(key, to_bytes(data), px=expiry, nx=only_if_missing))

    async def _incr_by(self, key: str, amount: int) -> int:
        with translated():
            return int(await self._client.incrby(key, amount))

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        with translated():
            return int(await self._client.delete(*keys))

    async def expire(self, key: str, ttl: float) -> bool:
        with translated():
            return bool(await self._client.pexpire(key, _milliseconds(ttl)))

    async def scan(self, pattern: str) -> list[str]:
        with translated():
            # SCAN may return a key more than once; keep the first.
            found = {
                key.decode(): None
                async for key in self._client.scan_iter(match=pattern, count=1000)
            }
        return list(found)

    # pub/sub ----------------------------------------------------------------
    async def publish(self, channel: str, data: Data) -> int:
        with translated():
            return int(await self._client.publish(channel, to_bytes(data)))

    async def subscribe(self, *channels: str, buffer: int = 1000) -> Subscription:
        return await self._subscriber.subscribe(channels, buffer, patterns=False)

    async def psubscribe(self, *patterns: str, buffer: int = 1000) -> Subscription:
        return await self._subscriber.subscribe(patterns, buffer, patterns=True)

    # counted holders ----------------------------------------------------------
    async def claim_slot(self, key: str, holder: str, *, limit: int, ttl: float) -> bool:
        now = _milliseconds(self._clock())
        lease = _milliseconds(ttl)
        with translated():
            return bool(
                await self._claim_slot_script(
                    keys=[key], args=[holder, now, limit, now + lease, lease]
                )
            )

    async def renew_slots(self, slots: Mapping[str, Collection[str]], ttl: float) -> None:
        if not slots:
            return
        now = _milliseconds(self._clock())
        lease = _milliseconds(ttl)
        with translated():
            async with self._client.pipeline(transaction=False) as pipe:
                for key, holders in slots.items():
                    pipe.zremrangebyscore(key, "-inf", now)
                    if holders:
                        pipe.zadd(key, dict.fromkeys(holders, now + lease), xx=True)
                    pipe.pexpire(key, lease)
                await pipe.execute()

    async def release_slot(self, key: str, holder: str) -> None:
        with translated():
            await self._client.zrem(key, holder)

    # locks --------------------------------------------------------------------
    def lock(self, name: str, *, ttl: float, wait: float) -> AbstractAsyncContextManager[None]:
        return hold_lock(self, self._release, name, ttl=ttl, wait=wait)

    async def _release(self, name: str, token: str) -> bool:
        with translated():
            return bool(await self._release_script(keys=[name], args=[token]))

    # per-user logs ------------------------------------------------------------------
    async def log_append(
        self, log: str, data: Data, *, maxlen: int, retention: float, order: int | None = None
    ) -> str:
        batch = _RedisBatch(self, self._client, self._clock)
        batch.log_append(log, data, maxlen=maxlen, retention=retention, order=order)
        [entry_id] = await batch.execute()
        return cast(str, entry_id)

    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        if count <= 0:
            return []
        script_keys = [log] if first_into is None else [log, first_into]
        with translated():
            ids = cast("list[bytes]", await self._log_ids_script(keys=script_keys, args=[count]))
        return [entry_id.decode() for entry_id in ids]

    async def log_after(self, log: str, after_id: str, *, count: int) -> list[LogEntry]:
        with translated():
            entries = await self._client.xrange(log, min=f"({after_id}", max="+", count=count)
        return _log_entries(entries)

    # streams ------------------------------------------------------------------------
    async def stream_add(
        self, stream: str, fields: Mapping[str, Data], *, maxlen: int, ttl: float
    ) -> str:
        values = {name: to_bytes(value) for name, value in fields.items()}
        with translated():
            # One round trip, not a MULTI (a cluster pipeline has none): an entry
            # whose PEXPIRE failed is renewed by the next one.
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.xadd(stream, values, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]  # stubs want str
                pipe.pexpire(stream, _milliseconds(ttl))
                entry_id, _ = await pipe.execute()
        return cast(bytes, entry_id).decode()

    async def stream_read(
        self,
        stream: str,
        after_id: str,
        *,
        count: int,
        block: float,
    ) -> list[StreamEntry]:
        # XREAD BLOCK 0 waits forever; a wait of zero or less does not block at all,
        # and no wait outlasts the socket timeout (an empty read returns sooner).
        wait = _milliseconds(min(block, self._longest_block)) if block > 0 else None
        with translated():
            read = cast(
                "list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] | None",
                await self._client.xread({stream: after_id}, count=count, block=wait),
            )
        return [
            StreamEntry(entry_id.decode(), {name.decode(): value for name, value in fields.items()})
            for _, entries in read or []
            for entry_id, fields in entries
        ]


class _RedisBatch(Batch):
    """A :class:`Batch` sent in one round trip, without ``MULTI``.

    On one server, one ``EVAL`` of :data:`_BATCH` runs every command, the
    counter that numbers its appends too, as one atomic step: redis-py spends
    about 0.1 ms of Python on each command of a pipeline (packing it, then
    reading its reply), ten times what the server does, and a relay's batch
    holds a thousand. A cluster spreads the keys over several masters, which
    one script can't reach: there, the numbers are taken first (a round trip of
    their own), then a pipeline runs the commands, not atomically.
    """

    def __init__(
        self, bus: Bus, client: Redis, clock: Callable[[], float], *, order: str | None = None
    ) -> None:
        super().__init__(bus, order=order)
        self._client = client
        self._clock = clock

    async def execute(self) -> list[Any]:
        if not self.commands:
            return []
        steps = self._steps()
        with translated():
            if self._bus.sharded:
                replies = await self._pipelined(steps, iter(await self._take_numbers()))
            else:
                appends = sum(step[0] == "append" for step in steps)
                program = [argument for step in steps for argument in step]
                replies = await self._client.eval(_BATCH, 0, self.order or "", appends, *program)
        results: list[Any] = []
        for (op, *_), reply in zip(steps, replies, strict=True):
            if op == "append":
                results.append(cast(bytes, reply).decode())
            elif op == "publish":
                results.append(int(reply))
            elif op == "range":
                results.append(_log_entries(reply))
            elif op != "trim":  # a trim's count is no command's result
                results.append(bool(reply))
        return results

    def _steps(self) -> list[tuple[Any, ...]]:
        """The batch as :data:`_BATCH` takes it: ``(op, key or channel, value[, ...])``."""
        now = self._clock()
        # A log is trimmed by age once, after the batch's last entry to it.
        last_append = {
            args[0]: index
            for index, (name, args, _) in enumerate(self.commands)
            if name == "log_append"
        }
        steps: list[tuple[Any, ...]] = []
        for index, (name, args, options) in enumerate(self.commands):
            key, value = args
            if name == "log_append":
                steps.append(
                    ("append", key, to_bytes(value), options["maxlen"], self._order_of(options))
                )
                if last_append[key] == index:
                    steps.append(("trim", key, f"{int((now - options['retention']) * 1000)}-0"))
            elif name == "expire":
                steps.append(("expire", key, _milliseconds(value)))
            elif name == "publish":
                steps.append(("publish", key, to_bytes(value)))
            elif name == "log_after":
                steps.append(("range", key, f"({value}", options["count"]))
            else:
                steps.append(
                    ("setnx" if options["only_if_missing"] else "set", key, to_bytes(value))
                )
        return steps

    def _order_of(self, options: dict[str, Any]) -> str:
        """An append's order as :data:`_BATCH` takes it."""
        if self.order is not None:
            return _NEXT_NUMBER
        given = options.get("order")
        return "" if given is None else str(given)

    async def _pipelined(self, steps: list[tuple[Any, ...]], numbers: Iterator[int]) -> list[Any]:
        async with self._client.pipeline(transaction=False) as pipe:
            for op, key, value, *more in steps:
                if op == "append":
                    maxlen, order = more
                    if order == _NEXT_NUMBER:
                        order = str(next(numbers))
                    fields = (
                        {_LOG_FIELD: value, _ORDER_FIELD: order} if order else {_LOG_FIELD: value}
                    )
                    pipe.xadd(key, fields, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]  # stubs want str
                elif op == "trim":
                    pipe.xtrim(key, minid=value, approximate=True)
                elif op == "expire":
                    pipe.pexpire(key, value)
                elif op == "publish":
                    pipe.spublish(key, value)
                elif op == "range":
                    pipe.xrange(key, min=value, max="+", count=more[0])
                else:
                    pipe.set(key, value, nx=op == "setnx")
            return await pipe.execute()


def _log_entries(entries: Any) -> list[LogEntry]:
    """An ``XRANGE`` reply as log entries: parsed by redis-py (fields as a dict) or
    raw from a script (a flat list). Another service may append entries of its own
    shape: they come back empty rather than failing the whole read."""
    found = []
    for entry_id, fields in cast("list[tuple[bytes, Any]]", entries):
        if not isinstance(fields, dict):
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        order = fields.get(_ORDER_FIELD, b"")
        found.append(
            LogEntry(
                entry_id.decode(),
                fields.get(_LOG_FIELD, b""),
                int(order) if order.isdigit() else None,
            )
        )
    return found
