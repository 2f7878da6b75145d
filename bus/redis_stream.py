"""One Redis command with an argument written to the socket as it is produced.

redis-py packs a command into one buffer, and asyncio copies what the socket
does not take at once, so a large argument would be held several times over on
its way out (``bench/README.md``, "STT upload memory"). Here the argument goes
out piece by piece, each drained before the next is produced, so a request
costs its pieces, not its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from redis.asyncio.connection import AbstractConnection

from bus.base import Pieces


def _bulk(argument: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(argument), argument)


class ConnectionSource(Protocol):
    """A pool (a Redis client's, or a cluster node's) that lends connections."""

    async def get_connection(self) -> AbstractConnection: ...

    async def release(self, connection: AbstractConnection) -> None: ...


async def execute_streamed(
    pool: ConnectionSource, before: Sequence[bytes], data: Pieces, after: Sequence[bytes] = ()
) -> Any:
    """The reply to the command ``[*before, data, *after]``, sent on one connection of ``pool``."""
    connection = await pool.get_connection()
    try:
        count = len(before) + 1 + len(after)
        head = b"*%d\r\n" % count + b"".join(map(_bulk, before)) + b"$%d\r\n" % data.size
        await connection.send_packed_command(head)
        sent = 0
        for piece in data.produce():
            sent += len(piece)
            if sent > data.size:
                break
            await connection.send_packed_command(piece, check_health=False)
        if sent != data.size:
            raise ValueError(f"the pieces came to {sent} bytes, not the {data.size} announced")
        await connection.send_packed_command(
            b"\r\n" + b"".join(map(_bulk, after)), check_health=False
        )
        return await connection.read_response()
    except BaseException:
        # Half a command may have gone out: this connection can't be trusted again.
        await connection.disconnect(nowait=True)
        raise
    finally:
        await pool.release(connection)
