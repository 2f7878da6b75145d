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
close codes the clients saw; ERROR lines in the instances' logs.

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
from typing import Any

import asyncpg
import httpx
import websockets

from bench.common import SECRET, wait_until_listening
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

    def expect(self, users: list[str], event: str, order: dict[str, Any]) -> None:
        key = (event, order["order_id"], int(order["version"]))
        for user in users:
            self.expected.setdefault((user, key), self.phase)


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
    user: str, role: str, urls: list[str], ledger: Ledger, stop: asyncio.Event
) -> None:
    """One client: stays connected until ``stop``, reconnecting with its last event id."""
    last_event_id: str | None = None
    attempt = random.randrange(len(urls))
    while not stop.is_set():
        url = urls[attempt % len(urls)]
        attempt += 1
        try:
            async with websockets.connect(url, open_timeout=5, close_timeout=2) as ws:
                token = mint_token(SECRET, user, role)
                auth: dict[str, str | None] = {"type": "auth", "user_id": user, "user_type": role}
                auth.update(token=token, last_event_id=last_event_id)
                await ws.send(json.dumps(auth))
                while not stop.is_set():
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
                    elif kind == "replay_incomplete":
                        ledger.told_to_reload.add(user)
                    elif kind in ("order.created", "order.assigned", "order.status_changed"):
                        data = frame["data"]
                        ledger.received[(user, (kind, data["order_id"], int(data["version"])))] += 1
                        last_event_id = frame.get("id") or last_event_id
        except websockets.ConnectionClosed as closed:
            ledger.close_codes[str(closed.rcvd.code if closed.rcvd else "none")] += 1
        except (OSError, TimeoutError, websockets.InvalidHandshake):
            ledger.close_codes["refused"] += 1
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
        listeners = [
            asyncio.create_task(_listen(user, role, urls, ledger, stop_clients))
            for user, role in cast.everyone()
        ]
        await asyncio.sleep(3)  # everyone connected before the first order
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
    finally:
        for process in reversed(started):
            process.signal(signal.SIGCONT)
            process.stop()
    return ledger


async def _drained(ledger: Ledger, within: float) -> None:
    """Wait until no notification has arrived for two seconds, at most ``within``."""
    deadline = time.monotonic() + within
    seen = -1
    while time.monotonic() < deadline and seen != sum(ledger.received.values()):
        seen = sum(ledger.received.values())
        await asyncio.sleep(2)


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
