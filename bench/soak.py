"""Soak: two instances, WebSocket clients, orders and analyze traffic, three faults.

Starts, on 127.0.0.1 only: a private ``redis-server`` (no persistence, on a
free port), the reference AI Server (``voice-realtime worker``) and two
service instances (``python -m quart_app``) on that Redis and on one
PostgreSQL database (emptied first). Then ``--clients`` WebSocket clients
(customers, cooks, couriers, managers; one socket each, reconnecting with
``last_event_id``) listen while orders move through every status and
``/api/voice/analyze`` runs at ``--analyze-rate``. Faults, in turn: Redis
killed and restarted (its data lost), the AI Server stopped (SIGSTOP) for
``--stall`` seconds, one instance restarted (SIGTERM, then started again).

Every notification an accepted API call should cause is expected at each of
its recipients (docs/contract.md §6.3: ``order.created`` to every staff member,
``order.assigned`` to the staff member, ``order.status_changed`` to the
customer and the assigned cook and courier), keyed by order id and version.
The report gives, per phase (the fault running when the API call was
answered): expected, delivered, missing, missing but told to reload
(``replay_incomplete``), and duplicates; the analyze answers by status; the
close codes the clients saw; ERROR lines in the instances' logs; every miss and
duplicate with a cause (the first ``--show-misses`` with the event's id, when its
call was answered and the client's connection history around it). Clients
reconnect with the greatest id they have seen; the traffic starts once every one
has connected; ``--churn`` makes them drop their sockets to exercise the replay.

    python -m bench.soak --clients 100 --seconds 150

Every loop is bounded in count and time; the script stops everything it
started, by process id.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import websockets
from redis.asyncio import Redis

from bench.common import SECRET, wait_until_listening
from bus.keys import id_key
from quart_app.services.auth.tokens import mint_token
from tests.support.ports import free_port

HOST = "127.0.0.1"
STEADY = "steady"
MAX_CLIENTS = 500
STAFF_SHARE = {"cook": 0.15, "delivery": 0.15, "manager": 0.1}
RUN_WORKER = "from quart_app.cli import main; raise SystemExit(main(['worker']))"
TRANSCRIPTS = ["Two French dinners, grand style please", "hello", "what do you recommend?"]


# -- processes ---------------------------------------------------------------------------------
@dataclass
class Process:
    """One process this script started, its log, and how to start it again."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        if self.port is not None:
            wait_until_listening(self.port, self.popen, within=90)

    def signal(self, signum: int) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signum)

    def stop(self, within: float = 30) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=within)

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)


def _processes(
    folder: Path, database_url: str, census_every: float | None, tracemalloc: bool
) -> tuple[Process, Process, list[Process]]:
    redis_port = free_port()
    redis = Process(
        "redis",
        ["redis-server", "--bind", HOST, "--port", str(redis_port), "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        dict(os.environ),
        folder / "redis.log",
        port=redis_port,
    )  # fmt: skip
    env = dict(
        os.environ,
        APP_ENV="development",
        BUS_URL=f"redis://{HOST}:{redis_port}/0",
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        AI_WORKER="external",
        AI_TIMEOUT="5",
        SESSION_LOCK_TIMEOUT="10",
        HEARTBEAT_INTERVAL="5",
        LOG_LEVEL="WARNING",
        MEDIA_DIR=str(folder / "media"),
        RATE_LIMITS_ENABLED="false",  # the analyze traffic comes from one address
    )
    worker = Process(
        "ai-server",
        [sys.executable, "-c", RUN_WORKER],
        env,
        folder / "ai-server.log",
    )
    instances = []
    for name in ("instance-a", "instance-b"):
        port = free_port()
        serve = ["--host", HOST, "--port", str(port)]
        command = [sys.executable, "-m", "quart_app", *serve]
        if census_every:
            out = str(folder / f"census-{name}.txt")
            traced = ["--tracemalloc"] if tracemalloc and name == "instance-b" else []
            command = [sys.executable, "-m", "bench.traced_instance", out, str(census_every),
                       *traced, "--", *serve]  # fmt: skip
        instances.append(Process(name, command, env, folder / f"{name}.log", port=port))
    return redis, worker, instances


async def _empty_database(database_url: str) -> None:
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, name = dsn.rpartition("/")
    server = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await server.execute(f'CREATE DATABASE "{name}"')
    finally:
        await server.close()
    database = await asyncpg.connect(dsn)
    try:
        await database.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await database.close()


# -- bookkeeping -------------------------------------------------------------------------------
Key = tuple[str, str, int]  # (event type, order id, order version)


@dataclass
class Ledger:
    """What should arrive where, what did, and the phase each expectation was made in."""

    phase: str = STEADY
    expected: dict[tuple[str, Key], str] = field(default_factory=dict)
    received: Counter[tuple[str, Key]] = field(default_factory=Counter)
    told_to_reload: set[str] = field(default_factory=set)
    close_codes: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    api: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    analyze: Counter[tuple[str, str]] = field(default_factory=Counter)
    began: float = field(default_factory=time.monotonic)
    answered_at: dict[tuple[str, Key], float] = field(default_factory=dict)
    receipts: dict[tuple[str, Key], list[tuple[float, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    history: dict[str, list[tuple[float, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    event_ids: dict[Key, str] = field(default_factory=dict)
    connected: set[str] = field(default_factory=set)

    def now(self) -> float:
        return time.monotonic() - self.began

    def expect(self, users: list[str], event: str, order: dict[str, Any]) -> None:
        key = (event, order["order_id"], int(order["version"]))
        for user in users:
            self.expected.setdefault((user, key), self.phase)
            self.answered_at.setdefault((user, key), self.now())

    def note(self, user: str, socket: int, what: str) -> None:
        """One step of ``user``'s connection history (for the detail of a miss)."""
        self.history[user].append((self.now(), socket, what))


@dataclass
class Cast:
    customers: list[str]
    cooks: list[str]
    couriers: list[str]
    managers: list[str]

    @property
    def staff(self) -> list[str]:
        return [*self.cooks, *self.couriers, *self.managers]

    def everyone(self) -> Iterator[tuple[str, str]]:
        for role, users in (
            ("customer", self.customers),
            ("cook", self.cooks),
            ("delivery", self.couriers),
            ("manager", self.managers),
        ):
            for user in users:
                yield user, role


def _cast(clients: int) -> Cast:
    counts = {role: max(1, int(clients * share)) for role, share in STAFF_SHARE.items()}
    customers = max(1, clients - sum(counts.values()))
    return Cast(
        [f"soak-customer-{n}" for n in range(customers)],
        [f"soak-cook-{n}" for n in range(counts["cook"])],
        [f"soak-courier-{n}" for n in range(counts["delivery"])],
        [f"soak-manager-{n}" for n in range(counts["manager"])],
    )


# -- WebSocket clients -------------------------------------------------------------------------
async def _listen(
    user: str,
    role: str,
    urls: list[str],
    ledger: Ledger,
    stop: asyncio.Event,
    greatest: bool,
    churn: float | None,
) -> None:
    """One client: stays connected until ``stop``, reconnecting with the greatest event id
    it has seen (docs/contract.md §6.4), or with the last one when not ``greatest`` (what
    this client did before 2026-12-07: it turns notifications published out of id order
    into duplicates). With ``churn``, it drops each socket itself after a random
    0 to 2 x ``churn`` seconds, to exercise the replay."""
    last_event_id: str | None = None
    attempt = random.randrange(len(urls))
    socket = 0
    while not stop.is_set():
        url = urls[attempt % len(urls)]
        attempt += 1
        socket += 1
        ledger.note(user, socket, f"open {url.rsplit(':', 1)[1]} last_event_id={last_event_id}")
        try:
            async with websockets.connect(url, open_timeout=5, close_timeout=2) as ws:
                token = mint_token(SECRET, user, role)
                auth: dict[str, str | None] = {"type": "auth", "user_id": user, "user_type": role}
                auth.update(token=token, last_event_id=last_event_id)
                await ws.send(json.dumps(auth))
                drop_at = ledger.now() + random.uniform(0, 2 * churn) if churn else None
                while not stop.is_set():
                    if drop_at is not None and ledger.now() > drop_at:
                        ledger.close_codes["dropped by the client"] += 1
                        ledger.note(user, socket, "dropped by the client")
                        break
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 1.0)
                    except TimeoutError:
                        continue
                    frame = json.loads(raw)
                    kind = frame.get("type")
                    if kind == "heartbeat":
                        await ws.send('{"type": "pong"}')
                    elif kind == "connected":
                        last_event_id = last_event_id or frame.get("last_event_id")
                        ledger.connected.add(user)
                        ledger.note(user, socket, f"connected at {frame.get('last_event_id')}")
                    elif kind == "replay_incomplete":
                        ledger.told_to_reload.add(user)
                        ledger.note(user, socket, "replay_incomplete")
                    elif kind in ("order.created", "order.assigned", "order.status_changed"):
                        data, event_id = frame["data"], frame.get("id")
                        key = (kind, data["order_id"], int(data["version"]))
                        ledger.received[(user, key)] += 1
                        ledger.receipts[(user, key)].append((ledger.now(), socket, event_id))
                        if event_id and (
                            not greatest
                            or last_event_id is None
                            or id_key(event_id) > id_key(last_event_id)
                        ):
                            last_event_id = event_id
        except websockets.ConnectionClosed as closed:
            code = str(closed.rcvd.code if closed.rcvd else "none")
            ledger.close_codes[code] += 1
            ledger.note(user, socket, f"closed {code}")
        except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
            ledger.close_codes["refused"] += 1
            ledger.note(user, socket, f"refused {type(error).__name__}")
        if not stop.is_set():
            ledger.reconnects += 1
            await asyncio.sleep(random.uniform(0.1, 0.6))


# -- HTTP traffic ------------------------------------------------------------------------------
class Api:
    """Calls either instance; a transport error (refused, timed out) or a 5xx is tried
    on the other one."""

    def __init__(self, client: httpx.AsyncClient, bases: list[str], ledger: Ledger) -> None:
        self._client = client
        self._bases = bases
        self._ledger = ledger

    async def call(
        self, name: str, method: str, path: str, user: str, role: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {mint_token(SECRET, user, role)}"}
        for attempt in range(6):
            base = self._bases[(attempt + random.randrange(2)) % len(self._bases)]
            try:
                response = await self._client.request(
                    method, base + path, json=body, headers=headers
                )
            except httpx.TransportError as error:
                self._ledger.api[(self._ledger.phase, name, type(error).__name__)] += 1
                await asyncio.sleep(0.3)
                continue
            self._ledger.api[(self._ledger.phase, name, str(response.status_code))] += 1
            if response.status_code < 300:
                answer: dict[str, Any] = response.json()
                return answer
            if response.status_code < 500:
                return None
            await asyncio.sleep(0.3)
        return None


async def _order_flow(api: Api, cast: Cast, ledger: Ledger) -> None:
    """One order through every status (or cancelled), announcing what each step causes."""
    customer, cook = random.choice(cast.customers), random.choice(cast.cooks)
    courier, manager = random.choice(cast.couriers), random.choice(cast.managers)
    item = {"menu_code": "french", "style_code": "grand", "quantity": 1}
    order = await api.call("create", "POST", "/api/orders", customer, "customer", {"items": [item]})
    if order is None:
        return
    ledger.expect(cast.staff, "order.created", order)
    order_id = order["order_id"]

    async def status(user: str, role: str, target: str) -> dict[str, Any] | None:
        await asyncio.sleep(random.uniform(0.1, 0.4))
        path = f"/api/orders/{order_id}/status"
        changed = await api.call(target, "POST", path, user, role, {"status": target})
        if changed is not None:
            recipients = [
                changed["customer_id"],
                changed["assigned_cook"],
                changed["assigned_delivery"],
            ]
            ledger.expect(
                list(dict.fromkeys(r for r in recipients if r)), "order.status_changed", changed
            )
        return changed

    async def assign(staff: str, role: str) -> bool:
        await asyncio.sleep(random.uniform(0.1, 0.4))
        body = {"staff_id": staff, "role": role}
        path = f"/api/orders/{order_id}/assign"
        assigned = await api.call(f"assign-{role}", "POST", path, manager, "manager", body)
        if assigned is not None:
            ledger.expect([staff], "order.assigned", assigned)
        return assigned is not None

    if random.random() < 0.125:
        await status(customer, "customer", "cancelled")
        return
    # Staff become assignable by acting: each acts once before the manager assigns them.
    steps: list[Callable[[], Awaitable[object]]] = [
        lambda: status(cook, "cook", "accepted"),
        lambda: assign(cook, "cook"),
        lambda: status(cook, "cook", "cooking"),
        lambda: status(cook, "cook", "ready"),
        lambda: status(courier, "delivery", "delivering"),
        lambda: assign(courier, "delivery"),
        lambda: status(courier, "delivery", "delivered"),
    ]
    for step in steps:
        if not await step():
            return


async def _at_rate(
    start: Callable[[], Coroutine[Any, Any, None]],
    rate: float,
    stop: asyncio.Event,
    finish_within: float,
) -> None:
    """Start ``start()`` ``rate`` times a second until ``stop``, then let them finish.

    Starts are timed against the clock, not by sleeping ``1 / rate`` after each: on a
    busy loop the sleeps overrun and the rate would fall short. At most one second
    of starts that fell behind is made up.
    """
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[None]] = set()
    began, started = loop.time(), 0
    while not stop.is_set():
        task = asyncio.create_task(start())
        running.add(task)
        task.add_done_callback(running.discard)
        started += 1
        behind = loop.time() - (began + started / rate)
        if behind > 1:
            began += behind - 1
        await asyncio.sleep(max(0.0, -behind))
    if running:
        await asyncio.wait(running, timeout=finish_within)
    for task in list(running):  # what is still running now would outlive the HTTP client
        task.cancel()


async def _analyze_once(client: httpx.AsyncClient, bases: list[str], ledger: Ledger) -> None:
    body = {"transcript": random.choice(TRANSCRIPTS), "user_id": None, "session_id": None}
    phase = ledger.phase
    try:
        response = await client.post(f"{random.choice(bases)}/api/voice/analyze", json=body)
        outcome = str(response.status_code)
    except httpx.TransportError as error:  # ConnectError, ReadTimeout, PoolTimeout...
        outcome = type(error).__name__
    ledger.analyze[(phase, outcome)] += 1


# -- memory ------------------------------------------------------------------------------------
Samples = dict[str, list[tuple[float, int]]]  # instance -> (seconds into the traffic, RSS KiB)


def _rss_kib(pid: int) -> int | None:
    """``VmRSS`` of ``pid`` from /proc, in KiB; None once the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


async def _sample_rss(
    instances: list[Process], every: float, stop: asyncio.Event, samples: Samples, load: list[float]
) -> None:
    """Every ``every`` seconds until ``stop``: each running instance's RSS, and the load average."""
    started = time.monotonic()
    while not stop.is_set():
        for process in instances:
            if process.popen is not None and process.popen.poll() is None:
                kib = _rss_kib(process.popen.pid)
                if kib is not None:
                    samples[process.name].append((time.monotonic() - started, kib))
        load.append(os.getloadavg()[0])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def _slope(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of ``points``, in their y units per second."""
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (y - mean_y) for t, y in points) / spread if spread else 0.0


def _rss_report(samples: Samples, load: list[float], points: int = 13) -> list[str]:
    """Per instance: the series (``points`` of it), and its growth over the last half of the run."""
    lines = []
    for name, series in sorted(samples.items()):
        step = max(1, (len(series) - 1) // (points - 1))
        shown = ", ".join(f"{t / 60:.0f}m {kib / 1024:.0f}" for t, kib in series[::step])
        lines.append(f"{name} RSS MB over time: {shown}")
        half = [(t, kib) for t, kib in series if t >= series[-1][0] / 2]
        if len(half) < 3:
            continue
        minutes = (half[-1][0] - half[0][0]) / 60
        per_minute = _slope(half) * 60 / 1024
        fitted_start = sum(kib for _, kib in half) / len(half) / 1024 - per_minute * minutes / 2
        first, last = half[0][1] / 1024, half[-1][1] / 1024
        lines.append(
            f"{name} last {minutes:.1f} min: {first:.1f} -> {last:.1f} MB "
            f"({(last - first) / first:+.2%}); fitted {per_minute:+.3f} MB/min, "
            f"{per_minute * minutes / fitted_start:+.2%} over the half; "
            f"peak {max(kib for _, kib in series) / 1024:.1f} MB"
        )
    if load:
        lines.append(
            f"load average (1 min) while sampling: min {min(load):.2f}, "
            f"mean {sum(load) / len(load):.2f}, max {max(load):.2f}"
        )
    return lines


def _write_rss_csv(samples: Samples, path: Path) -> None:
    rows = ["instance,seconds,rss_kib"]
    rows += [f"{name},{t:.1f},{kib}" for name, series in samples.items() for t, kib in series]
    path.write_text("\n".join(rows) + "\n")


# -- the run -----------------------------------------------------------------------------------
async def _faults(
    redis: Process, worker: Process, restarted: Process, ledger: Ledger, beat: float, stall: float
) -> None:
    """The timeline: steady, Redis restart, steady, AI stall, steady, instance restart, steady."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(beat)
    ledger.phase = "redis restart"
    redis.kill()
    await asyncio.sleep(2)
    await loop.run_in_executor(None, redis.start)
    await asyncio.sleep(beat)
    ledger.phase = STEADY
    await asyncio.sleep(beat / 2)
    ledger.phase = "AI Server stalled"
    worker.signal(signal.SIGSTOP)
    await asyncio.sleep(stall)
    worker.signal(signal.SIGCONT)
    await asyncio.sleep(beat / 2)
    ledger.phase = STEADY
    await asyncio.sleep(beat / 2)
    ledger.phase = "instance restart"
    await loop.run_in_executor(None, restarted.stop)
    await loop.run_in_executor(None, restarted.start)
    await asyncio.sleep(beat)
    ledger.phase = STEADY
    await asyncio.sleep(beat)


async def _run(
    args: argparse.Namespace, folder: Path, samples: Samples, load: list[float]
) -> Ledger:
    await _empty_database(args.database_url)
    redis, worker, instances = _processes(folder, args.database_url, args.census, args.tracemalloc)
    started: list[Process] = []
    ledger = Ledger()
    try:
        for process in (redis, worker, *instances):
            await asyncio.get_running_loop().run_in_executor(None, process.start)
            started.append(process)
        bases = [f"http://{HOST}:{p.port}" for p in instances]
        urls = [f"ws://{HOST}:{p.port}/api/ws" for p in instances]
        cast = _cast(args.clients)
        stop_clients, stop_traffic = asyncio.Event(), asyncio.Event()
        greatest = args.reconnect_with == "greatest"
        listeners = [
            asyncio.create_task(
                _listen(user, role, urls, ledger, stop_clients, greatest, args.churn)
            )
            for user, role in cast.everyone()
        ]
        # Everyone connected before the first order: an addressee that connects
        # later starts from the latest id and was never owed what came before.
        await _until(lambda: len(ledger.connected) == len(listeners), within=120)
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(timeout=15, limits=limits) as client:
            api = Api(client, bases, ledger)
            orders = _at_rate(
                lambda: _order_flow(api, cast, ledger), args.order_rate, stop_traffic, 60
            )
            analyze = _at_rate(
                lambda: _analyze_once(client, bases, ledger), args.analyze_rate, stop_traffic, 30
            )
            sampling = _sample_rss(instances, args.rss_every, stop_traffic, samples, load)
            traffic = [asyncio.create_task(t) for t in (orders, analyze, sampling)]
            if args.no_faults:
                await asyncio.sleep(args.seconds)
            else:
                await _faults(redis, worker, instances[1], ledger, args.seconds / 7, args.stall)
            stop_traffic.set()
            await asyncio.wait(traffic, timeout=90)
        await _drained(ledger, within=args.drain)
        stop_clients.set()
        await asyncio.wait(listeners, timeout=15)
        assert redis.port is not None
        ledger.event_ids = await _event_ids(redis.port)
    finally:
        for process in reversed(started):
            process.signal(signal.SIGCONT)
            process.stop()
    return ledger


async def _until(condition: Callable[[], bool], within: float, step: float = 0.2) -> None:
    for _ in range(int(within / step)):
        if condition():
            return
        await asyncio.sleep(step)


async def _drained(ledger: Ledger, within: float) -> None:
    """Wait until no notification has arrived for two seconds, at most ``within``."""
    deadline = time.monotonic() + within
    seen = -1
    while time.monotonic() < deadline and seen != sum(ledger.received.values()):
        seen = sum(ledger.received.values())
        await asyncio.sleep(2)


async def _event_ids(redis_port: int) -> dict[Key, str]:
    """Each notification's id, read back from the replay logs (docs/contract.md §6.6)."""
    found: dict[Key, str] = {}
    client = Redis(host=HOST, port=redis_port, decode_responses=True)
    try:
        logs = [key async for key in client.scan_iter(match="ws:*log*", count=1000)]
        for log in logs:
            entries = cast(list[tuple[str, dict[str, str]]], await client.xrange(log))
            for _, fields in entries:
                *_, frame = next(iter(fields.values())).split("\n")
                parsed = json.loads(frame)
                data = parsed.get("data") or {}
                if "order_id" in data:
                    key = (parsed["type"], data["order_id"], int(data["version"]))
                    found[key] = parsed["id"]
    finally:
        await client.aclose()
    return found


def _around(ledger: Ledger, user: str, at: float, before: float = 5, after: float = 15) -> str:
    steps = [
        f"{t:.1f}s #{socket} {what}"
        for t, socket, what in ledger.history[user]
        if at - before <= t <= at + after
    ]
    return "; ".join(steps) or "no connection change"


def _miss_cause(ledger: Ledger, user: str, at: float, event_id: str | None) -> str:
    """Why a miss happened, as far as the client's history tells."""
    opened = [(t, what) for t, _, what in ledger.history[user] if what.startswith("connected at")]
    if not opened or opened[0][0] > at:
        return "first connected after the call was answered"
    if event_id is None:
        return "id unknown (not in the logs)"
    later = [
        what.split("last_event_id=")[1]
        for t, _, what in ledger.history[user]
        if what.startswith("open") and t >= at - 1
    ]
    if any(position != "None" and id_key(position) > id_key(event_id) for position in later):
        return "reconnected with a greater id than the missed one (published out of id order)"
    if not later:
        return "no reconnect after the call: lost on a live socket"
    return "reconnected with a smaller id, yet not replayed"


def _details(ledger: Ledger, limit: int) -> list[str]:
    """Every miss and duplicate, by cause; the first ``limit`` of each in full."""
    lines: list[str] = []
    causes: Counter[str] = Counter()
    shown = 0
    for (user, key), _ in ledger.expected.items():
        if ledger.received.get((user, key)) or user in ledger.told_to_reload:
            continue
        at = ledger.answered_at[(user, key)]
        event_id = ledger.event_ids.get(key)
        cause = _miss_cause(ledger, user, at, event_id)
        causes[cause] += 1
        if shown < limit:
            shown += 1
            lines.append(
                f"missing {key[0]} {key[1][:8]} v{key[2]} id {event_id} to {user}, "
                f"answered at {at:.1f}s: {cause}; {_around(ledger, user, at)}"
            )
    dup_causes: Counter[str] = Counter()
    shown = 0
    for (user, key), receipts in ledger.receipts.items():
        if len(receipts) < 2:
            continue
        sockets = [socket for _, socket, _ in receipts]
        cause = (
            "on one socket" if len(set(sockets)) < len(sockets) else "replayed on a later socket"
        )
        dup_causes[cause] += len(receipts) - 1
        if shown < limit:
            shown += 1
            got = ", ".join(f"{t:.1f}s #{socket}" for t, socket, _ in receipts)
            lines.append(
                f"duplicate {key[0]} {key[1][:8]} v{key[2]} id {receipts[0][2]} to {user}: "
                f"received {got}; {_around(ledger, user, receipts[0][0], 2, 10)}"
            )
    summary = [f"missing by cause: {_counts(causes) or 'none'}"]
    summary.append(f"duplicates by cause: {_counts(dup_causes) or 'none'}")
    return [*summary, *lines]


def _phase_table(ledger: Ledger) -> list[str]:
    by_phase: dict[str, Counter[str]] = defaultdict(Counter)
    for (user, key), phase in ledger.expected.items():
        counts = by_phase[phase]
        counts["expected"] += 1
        got = ledger.received.get((user, key), 0)
        if got:
            counts["delivered"] += 1
            counts["duplicates"] += got - 1
        elif user in ledger.told_to_reload:
            counts["reload"] += 1
        else:
            counts["missing"] += 1
    lines = [
        "| phase | expected | delivered | missing | missing, told to reload | duplicates |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for phase, counts in by_phase.items():
        columns = ("expected", "delivered", "missing", "reload", "duplicates")
        lines.append(f"| {phase} | " + " | ".join(str(counts[c]) for c in columns) + " |")
    return lines


def _counts(counter: Counter[Any]) -> str:
    named = ("/".join(key) if isinstance(key, tuple) else key for key in counter)
    return ", ".join(f"{name} x{n}" for name, n in zip(named, counter.values(), strict=True))


def _report(ledger: Ledger, folder: Path, args: argparse.Namespace) -> str:
    failed_api = Counter({k: n for k, n in ledger.api.items() if not k[2].startswith("2")})
    unexpected = sum(n for key, n in ledger.received.items() if key not in ledger.expected)
    created = sum(
        n for (_, name, status), n in ledger.api.items() if (name, status) == ("create", "201")
    )
    faults = "no faults" if args.no_faults else f"AI stall {args.stall:g} s"
    lines = [
        f"soak: {args.clients} clients, {args.seconds:g} s of traffic, "
        f"orders {args.order_rate:g}/s, analyze {args.analyze_rate:g}/s, {faults}",
        f"answered: orders created {created / args.seconds:.2f}/s, "
        f"analyze {sum(ledger.analyze.values()) / args.seconds:.2f}/s",
        "",
        *_phase_table(ledger),
        "",
        f"received but not expected: {unexpected}; reconnects: {ledger.reconnects}",
        f"close codes seen by clients: {_counts(ledger.close_codes)}",
        f"analyze answers: {_counts(Counter(dict(sorted(ledger.analyze.items()))))}",
        f"order API attempts not 2xx (transport errors retried on the other instance): "
        f"{_counts(failed_api) or 'none'}",
        *_details(ledger, args.show_misses),
    ]
    for log in [*sorted(folder.glob("instance-*.log")), folder / "ai-server.log"]:
        text = log.read_text(errors="replace")
        errors, tracebacks = text.count(" ERROR "), text.count("Traceback")
        lines.append(f"{log.stem}: {errors} ERROR lines, {tracebacks} tracebacks")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=140, help="traffic, faults included")
    parser.add_argument("--order-rate", type=float, default=2.0, help="orders started per second")
    parser.add_argument("--analyze-rate", type=float, default=5.0, help="analyze calls per second")
    parser.add_argument("--stall", type=float, default=10.0, help="seconds the AI Server stops")
    parser.add_argument("--drain", type=float, default=20.0, help="longest wait for stragglers")
    parser.add_argument(
        "--reconnect-with",
        choices=("greatest", "last"),
        default="greatest",
        help="the event id a client reconnects with: the greatest it has seen (the contract), "
        "or the last one (the client before 2026-12-07)",
    )
    parser.add_argument(
        "--churn",
        type=float,
        metavar="SECONDS",
        help="each client drops its socket after 0 to 2 x SECONDS and reconnects",
    )
    parser.add_argument(
        "--show-misses", type=int, default=20, help="misses and duplicates shown in full"
    )
    parser.add_argument(
        "--no-faults", action="store_true", help="steady traffic only: for the memory measure"
    )
    parser.add_argument("--rss-every", type=float, default=10.0, help="seconds between RSS samples")
    parser.add_argument(
        "--census",
        type=float,
        metavar="SECONDS",
        help="each instance writes, every SECONDS, the object types it holds more of "
        "(census-<instance>.txt among the logs; bench/traced_instance.py)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="with --census: instance-b also traces allocations and writes the source "
        "lines that hold more; it runs slower, instance-a stays untraced",
    )
    parser.add_argument(
        "--logs", type=Path, help="folder for the logs (default: a new temporary one)"
    )
    parser.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/soak"
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be 1..{MAX_CLIENTS}")
    if args.tracemalloc and not args.census:
        parser.error("--tracemalloc writes with --census")
    folder = args.logs or Path(tempfile.mkdtemp(prefix="soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    samples: Samples = defaultdict(list)
    load: list[float] = []
    ledger = asyncio.run(_run(args, folder, samples, load))
    _write_rss_csv(samples, folder / "rss.csv")
    print(_report(ledger, folder, args))
    print("\n".join(["", *_rss_report(samples, load)]))
    print(f"\nlogs: {folder} (every RSS sample in rss.csv)")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
