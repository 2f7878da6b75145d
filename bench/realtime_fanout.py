"""WebSocket fan-out: the service against a bare Quart loop and the websockets library.

For each server (``bench/realtime_apps.py``) and each N: start it in its own
process, open N staff sockets from this process, then measure

- memory per idle connection: the server's RSS growth over the N sockets / N;
- fan-out time: from a notification being raised (the frame's ``ts``) until
  the last of the N sockets has it; the median of ``--single`` notifications;
- steady deliveries/s: ``--burst`` notifications raised back to back, N
  deliveries each, over the time from the first ``ts`` to the last arrival
  (the service raises these through its manager, not by placing orders: an
  order's SQLite write would be timed instead of the fan-out);
- memory per connection after traffic: the same RSS growth / N once
  ``--traffic`` more notifications (enough for each socket's filter of the
  last 128 ids it delivered to fill) have reached every socket;
- errors: sockets that failed to open, closed, or missed a notification.

Clients offer no compression (hypercorn would accept permessage-deflate and
compress every frame once per socket).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench.common import SECRET, wait_until_listening
from quart_app.services.auth.tokens import mint_token
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
STAFF_ROLES = ("cook", "delivery", "manager")
OPENING_AT_ONCE = 100
WAIT = 60.0


@dataclass
class Server:
    """How to start one kind of server and make it raise a notification."""

    name: str
    command: list[str]
    path: str
    kind: str  # "library", "bare" or "service"

    @property
    def authenticate(self) -> bool:
        return self.kind == "service"

    async def trigger(
        self,
        port: int,
        http: httpx.AsyncClient,
        control: ClientConnection | None,
        *,
        order: bool = True,
    ) -> None:
        """Raise one notification: for the service, place an order unless ``order`` is false."""
        if control is not None:
            await control.send("trigger")
        elif self.authenticate and not order:
            (await http.post(f"http://127.0.0.1:{port}/bench/broadcast")).raise_for_status()
        elif self.authenticate:
            item = {"menu_code": "valentine", "style_code": "grand", "quantity": 1}
            headers = {"Authorization": f"Bearer {mint_token(SECRET, 'customer-1', 'customer')}"}
            response = await http.post(
                f"http://127.0.0.1:{port}/api/orders", json={"items": [item]}, headers=headers
            )
            response.raise_for_status()
        else:
            (await http.post(f"http://127.0.0.1:{port}/trigger")).raise_for_status()


@dataclass
class Result:
    server: str
    connections: int
    kb_per_connection: float = 0.0
    kb_after_traffic: float = 0.0
    fanout_ms: float = 0.0
    deliveries_per_s: float = 0.0
    errors: int = 0
    inboxes: list[list[tuple[float, str]]] = field(default_factory=list, repr=False)


def _hypercorn(factory: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hypercorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "4096",
        factory,
    ]


def servers(port: int) -> list[Server]:
    """The three servers, to listen on ``port``: the library, bare Quart, the service."""
    library = [sys.executable, "-m", "bench.realtime_apps", str(port)]
    return [
        Server("websockets broadcast()", library, "/", "library"),
        Server(
            "bare Quart loop", _hypercorn("bench.realtime_apps:bare_app()", port), "/ws", "bare"
        ),
        Server(
            "service", _hypercorn("bench.realtime_apps:service_app()", port), "/api/ws", "service"
        ),
    ]


def _rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and its children (hypercorn serves from a child)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1])
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _rss_kb(int(child))
    return total


async def _open(
    uri: str, index: int, authenticate: bool, gate: asyncio.Semaphore
) -> tuple[ClientConnection, list[tuple[float, str]]]:
    async with gate:
        ws = await connect(
            uri, compression=None, ping_interval=None, open_timeout=WAIT, max_queue=None
        )
        if authenticate:
            user_id, role = f"staff-{index}", STAFF_ROLES[index % 3]
            token = mint_token(SECRET, user_id, role)
            await ws.send(
                json.dumps({"type": "auth", "user_id": user_id, "user_type": role, "token": token})
            )
            connected = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            if connected["type"] != "connected":
                raise RuntimeError(f"not connected: {connected}")
    return ws, []


async def _read(ws: ClientConnection, inbox: list[tuple[float, str]]) -> None:
    async for message in ws:
        inbox.append((time.time(), str(message)))


async def _arrived(inboxes: list[list[tuple[float, str]]], counts: list[int], more: int) -> int:
    """Wait until every inbox has ``more`` new frames; return how many never got them."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        missing = sum(
            len(inbox) < count + more for inbox, count in zip(inboxes, counts, strict=True)
        )
        if not missing:
            return 0
        await asyncio.sleep(0.005)
    return missing


def _frames(inbox: list[tuple[float, str]], start: int) -> list[tuple[float, float]]:
    """(arrival, raised) of each notification frame from ``start`` on."""
    pairs = []
    for arrived, text in inbox[start:]:
        frame = json.loads(text)
        if frame.get("type") == "order.created":
            pairs.append((arrived, float(frame["ts"])))
    return pairs


async def _run(server: Server, port: int, pid: int, n: int, args: argparse.Namespace) -> Result:
    result = Result(server.name, n)
    uri = f"ws://127.0.0.1:{port}{server.path}"
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    async with httpx.AsyncClient(timeout=WAIT) as http:
        control = (await _open(uri, n, False, gate))[0] if server.kind == "library" else None
        await asyncio.sleep(0.5)
        before = _rss_kb(pid)
        opened = await asyncio.gather(
            *(_open(uri, i, server.authenticate, gate) for i in range(n)), return_exceptions=True
        )
        sockets = [item for item in opened if isinstance(item, tuple)]
        result.errors += n - len(sockets)
        readers = [asyncio.create_task(_read(ws, inbox)) for ws, inbox in sockets]
        inboxes = [inbox for _, inbox in sockets]
        await asyncio.sleep(1.0)
        result.kb_per_connection = (_rss_kb(pid) - before) / max(len(sockets), 1)

        fanouts = []
        for _ in range(args.single):
            counts = [len(inbox) for inbox in inboxes]
            await server.trigger(port, http, control)
            result.errors += await _arrived(inboxes, counts, 1)
            pairs = [p for inbox, c in zip(inboxes, counts, strict=True) for p in _frames(inbox, c)]
            fanouts.append(max(a for a, _ in pairs) - min(r for _, r in pairs))
            await asyncio.sleep(0.2)
        result.fanout_ms = statistics.median(fanouts) * 1000

        counts = [len(inbox) for inbox in inboxes]
        for _ in range(args.burst):  # raised one after another, without waiting for delivery
            await server.trigger(port, http, control, order=False)
        result.errors += await _arrived(inboxes, counts, args.burst)
        pairs = [p for inbox, c in zip(inboxes, counts, strict=True) for p in _frames(inbox, c)]
        elapsed = max(a for a, _ in pairs) - min(r for _, r in pairs)
        result.deliveries_per_s = len(pairs) / elapsed

        for _ in range(args.traffic // args.burst + 1):  # in bursts, as above
            counts = [len(inbox) for inbox in inboxes]
            for _ in range(args.burst):
                await server.trigger(port, http, control, order=False)
            result.errors += await _arrived(inboxes, counts, args.burst)
        await asyncio.sleep(1.0)
        result.kb_after_traffic = (_rss_kb(pid) - before) / max(len(sockets), 1)
        result.errors += sum(ws.close_code is not None for ws, _ in sockets)

        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws, _ in sockets), return_exceptions=True)
        if control is not None:
            await control.close()
    return result


def _measure(server: Server, port: int, n: int, args: argparse.Namespace, folder: str) -> Result:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_DIR": folder}
    with subprocess.Popen(server.command, cwd=ROOT, env=env) as process:
        try:
            wait_until_listening(port, process)
            return asyncio.run(_run(server, port, process.pid, n, args))
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--single", type=int, default=5, help="notifications timed one by one")
    parser.add_argument("--burst", type=int, default=20, help="notifications raised at once")
    parser.add_argument(
        "--traffic", type=int, default=150, help="notifications before the second memory figure"
    )
    args = parser.parse_args()
    results: list[Result] = []
    for n in args.connections:
        for index in range(3):
            port = free_port()
            server = servers(port)[index]
            with tempfile.TemporaryDirectory(prefix="realtime-bench-") as folder:
                results.append(_measure(server, port, n, args, folder))
            print(results[-1], flush=True)
    _report(results)


def _report(results: list[Result]) -> None:
    print(
        "| N | server | fan-out ms (median) | deliveries/s | KB per idle connection "
        "| KB per connection after traffic | errors |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.connections:,} | {r.server} | {r.fanout_ms:.1f} | {r.deliveries_per_s:,.0f} "
            f"| {r.kb_per_connection:.1f} | {r.kb_after_traffic:.1f} | {r.errors} |"
        )
    for n in sorted({r.connections for r in results}):
        by_name = {r.server: r for r in results if r.connections == n}
        ours, bare = by_name["service"], by_name["bare Quart loop"]
        library = by_name["websockets broadcast()"]
        print(
            f"N={n:,}: service / bare Quart: fan-out {ours.fanout_ms / bare.fanout_ms:.2f}x, "
            f"deliveries/s {ours.deliveries_per_s / bare.deliveries_per_s:.2f}x, "
            f"memory {ours.kb_per_connection / bare.kb_per_connection:.2f}x idle, "
            f"{ours.kb_after_traffic / bare.kb_after_traffic:.2f}x after traffic; "
            f"service / websockets: memory "
            f"{ours.kb_per_connection / library.kb_per_connection:.2f}x idle, "
            f"{ours.kb_after_traffic / library.kb_after_traffic:.2f}x after traffic; "
            f"bare Quart / websockets: fan-out {bare.fanout_ms / library.fanout_ms:.2f}x"
        )


if __name__ == "__main__":
    main()
