"""The WebSocket manager: this instance's sockets, fed from the bus, with heartbeats.

Every send goes over the bus (:class:`NotificationPublisher`): one envelope on
``ws:notify`` (on a Redis Cluster, on one of its partitions) per notification.
Every instance subscribes once and offers the frame, already serialized, to
its own matching sockets, so a notification raised on one instance reaches
sockets on all of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence

from bus import Bus, BusError, Subscription, keys
from bus.tasks import stop_tasks
from config import Settings
from domain.connections import ConnectionRegistry, ConnectionStats
from quart_app.observability.metrics import (
    BUS_PUBSUB_CONNECTIONS,
    NOTIFICATIONS_DELIVERED,
    NOTIFICATIONS_DROPPED,
    ORDER_EVENT_DELIVERY,
    WEBSOCKET_CONNECTIONS,
)
from quart_app.services.auth.tokens import Principal, TokenKeys
from quart_app.services.realtime import server_frames
from quart_app.services.realtime.client_frames import AuthRejected, refreshed_expiry, reply_to
from quart_app.services.realtime.local_socket import (
    CLOSE_GOING_AWAY,
    CLOSE_SILENT,
    CLOSE_TOKEN_EXPIRED,
    CLOSE_TRY_AGAIN_LATER,
    LocalSocket,
    Receive,
    Send,
)
from quart_app.services.realtime.notifications import NotificationPublisher
from quart_app.services.realtime.replay import Resume
from quart_app.services.realtime.stats import StatsReporter

log = logging.getLogger(__name__)


class TooManyConnections(Exception):
    """The user already holds as many sockets here as allowed."""


class WebSocketManager:
    """Connects, feeds, heartbeats and counts the sockets of one app instance.

    :meth:`start` subscribes to ``ws:notify`` (and on a Redis Cluster to every
    partition, on one connection per master) and starts the heartbeat and
    stats loops; :meth:`stop` closes every socket (``1001``) and undoes it.
    ``fan_out_buffer`` bounds the notifications waiting for fan-out; if more
    arrive, the oldest are dropped and every socket here is closed (``1013``)
    so that its client replays them.
    """

    def __init__(
        self,
        bus: Bus,
        settings: Settings,
        token_keys: TokenKeys,
        *,
        instance_id: str | None = None,
        clock: Callable[[], float] = time.time,
        fan_out_buffer: int = 10_000,
    ) -> None:
        self.instance_id = instance_id or uuid.uuid4().hex
        self._bus = bus
        self._settings = settings
        self._token_keys = token_keys
        self._clock = clock
        self._registry = ConnectionRegistry()
        self._sockets: dict[str, LocalSocket] = {}
        self.publisher = NotificationPublisher(
            bus,
            log_maxlen=settings.notification_log_maxlen,
            retention=settings.notification_retention,
            partitions=settings.ws_notify_partitions,
            clock=clock,
        )
        self._stats = StatsReporter(bus, self.instance_id, self._snapshot, ttl=settings.stats_ttl)
        self._subscription: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._forget_listener: Callable[[], None] | None = None
        self._fan_out_buffer = fan_out_buffer
        self._stopping = False

    # lifecycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Subscribe to the notification channel and start the background loops."""
        # ws:notify stays heard on a cluster too, for publishers that don't partition.
        channels = dict.fromkeys((keys.WS_NOTIFY_CHANNEL, *self.publisher.channels))
        self._subscription = await self._bus.subscribe(*channels, buffer=self._fan_out_buffer)
        BUS_PUBSUB_CONNECTIONS.set(self._bus.pubsub_connections)
        self._forget_listener = self._bus.add_connection_listener(self._bus_connection)
        self._tasks = [
            asyncio.create_task(self._fan_out(self._subscription)),
            asyncio.create_task(self._heartbeats()),
            asyncio.create_task(self._stats.run()),
        ]

    def close_all(self) -> None:
        """Close every socket here with ``1001``, and those still connecting (server stopping)."""
        self._stopping = True
        for socket in list(self._sockets.values()):
            socket.close(CLOSE_GOING_AWAY, "server shutting down")

    async def stop(self) -> None:
        """Close every socket (``1001``), stop the loops and unsubscribe."""
        self.close_all()
        await stop_tasks(self._tasks)
        self._tasks = []
        if self._forget_listener is not None:
            self._forget_listener()
        if self._subscription is not None:
            await self._subscription.close()
        await self._stats.withdraw()

    # connections -----------------------------------------------------------------
    async def connect(self, principal: Principal, *, replaying: bool = False) -> LocalSocket:
        """Register a socket of ``principal``; with ``replaying``, live frames wait for replay.

        :class:`TooManyConnections` if the user already holds
        ``WS_MAX_CONNECTIONS_PER_USER`` sockets, counted across every instance on
        the bus (a slot per socket, renewed with the heartbeats, so that an instance
        that dies frees its users' slots within :meth:`_slot_ttl`);
        :class:`bus.BusError` when the bus can't count them.
        """
        limit = self._settings.ws_max_connections_per_user
        if self.get_connection_count(principal.user_id) >= limit:
            raise TooManyConnections(f"at most {limit} connections per user")
        connection_id = uuid.uuid4().hex
        claimed = await self._bus.claim_slot(
            keys.ws_user_connections(principal.user_id),
            connection_id,
            limit=limit,
            ttl=self._slot_ttl,
        )
        if not claimed:
            raise TooManyConnections(f"at most {limit} connections per user")
        connection = self._registry.add(connection_id, principal.user_id, principal.role)
        socket = LocalSocket(
            connection,
            queue_size=self._settings.ws_send_queue,
            now=self._clock(),
            expires_at=principal.expires_at,
        )
        if replaying:
            socket.hold()
        if self._stopping:  # it authenticated while the server began to stop
            socket.close(CLOSE_GOING_AWAY, "server shutting down")
        self._sockets[connection.connection_id] = socket
        self._stats.changed()
        WEBSOCKET_CONNECTIONS.labels(principal.role).inc()
        return socket

    async def disconnect(self, connection_id: str) -> None:
        """Forget a socket and free its slot; unknown ids are ignored."""
        socket = self._sockets.pop(connection_id, None)
        self._registry.remove(connection_id)
        if socket is None:
            return
        socket.close(CLOSE_GOING_AWAY, "disconnected")
        self._stats.changed()
        WEBSOCKET_CONNECTIONS.labels(socket.connection.role).dec()
        try:
            await self._bus.release_slot(keys.ws_user_connections(socket.user_id), connection_id)
        except BusError as error:  # it lapses on its own
            log.warning("could not free the slot of connection %s: %s", connection_id, error)

    @property
    def _slot_ttl(self) -> float:
        # As long as a silent socket is kept (heartbeat_misses missed heartbeats), and
        # one interval more: a renewal is due every interval.
        return self._settings.heartbeat_interval * (self._settings.heartbeat_misses + 1)

    async def resume(self, socket: LocalSocket, last_event_id: str | None) -> Resume:
        """Where the socket just registered stands, and what it missed since ``last_event_id``."""
        return await self.publisher.log.resume(
            socket.user_id, socket.connection.role, last_event_id
        )

    async def serve(
        self,
        socket: LocalSocket,
        receive: Receive,
        send: Send,
        replay: Sequence[tuple[str | None, str]] = (),
    ) -> None:
        """Send the ``(id, frame)`` ``replay`` (:meth:`resume`), then serve until closed."""
        await socket.run(receive, send, self._on_frame, replay)

    def _on_frame(self, socket: LocalSocket, raw: str | bytes) -> None:
        socket.last_seen = self._clock()
        try:
            reply = reply_to(
                raw, self._settings.ws_max_message_bytes, lambda auth: self._refresh(socket, auth)
            )
        except Exception:
            # A bug met by one frame costs that frame only, not the connection.
            log.exception("failed to handle a frame from connection %s", socket.connection_id)
            reply = server_frames.error("internal_error", "The server failed to handle that frame.")
        if reply is not None:
            socket.offer(reply)

    def _refresh(self, socket: LocalSocket, raw: str) -> str:
        # A new token on an open socket moves its expiry (as Centrifugo's refresh does).
        try:
            socket.expires_at = refreshed_expiry(
                raw,
                self._token_keys,
                self._settings.ws_max_message_bytes,
                socket.user_id,
                socket.connection.role,
            )
        except AuthRejected as rejection:
            return server_frames.error("unauthorized", str(rejection))
        return server_frames.token_refreshed(socket.expires_at)

    def deliver(self, envelope: server_frames.Envelope) -> int:
        """Offer an envelope's frame to the matching sockets here; return how many."""
        if envelope.user_ids:
            ids = [c for user in envelope.user_ids for c in self._registry.connections_of(user)]
        else:
            ids = self._registry.connections_with_roles(envelope.roles)
        for connection_id in ids:
            self._sockets[connection_id].offer(envelope.frame, envelope.event_id)
        NOTIFICATIONS_DELIVERED.inc(len(ids))
        if ids and envelope.written_at is not None:
            ORDER_EVENT_DELIVERY.observe(max(0.0, time.time() - envelope.written_at))
        return len(ids)

    async def _fan_out(self, subscription: Subscription) -> None:
        # A burst arrives buffered. Yielding to the senders every quarter of a
        # send queue lets them drain in batches, yet never lets a burst alone
        # fill the queue of a socket that keeps up.
        batch = max(1, self._settings.ws_send_queue // 4)
        delivered = 0
        dropped = 0
        async for message in subscription:
            if subscription.dropped != dropped:
                NOTIFICATIONS_DROPPED.labels("fell_behind").inc(subscription.dropped - dropped)
                dropped = subscription.dropped
                log.error("fan-out fell behind; %d notifications were dropped", dropped)
                self._interrupted()
            try:
                self.deliver(server_frames.decode_envelope(message.data))
            except server_frames.BadEnvelope as error:
                NOTIFICATIONS_DROPPED.labels("malformed").inc()
                log.warning("dropped a malformed message on %s: %s", message.channel, error)
            except Exception:
                # A bug met by one message must not end delivery for this instance.
                log.exception("failed to deliver a message on %s", message.channel)
            delivered += 1
            if delivered % batch == 0:
                await asyncio.sleep(0)

    def _bus_connection(self, connected: bool) -> None:
        if connected:  # back after a loss: what was published meanwhile is lost here
            self._interrupted()

    def _interrupted(self) -> None:
        # Sockets here missed notifications; closing them makes their clients
        # reconnect with last_event_id and replay what they missed.
        for socket in list(self._sockets.values()):
            socket.close(CLOSE_TRY_AGAIN_LATER, "notifications were interrupted; reconnect")

    # heartbeats ------------------------------------------------------------------------
    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self._settings.heartbeat_interval)
            self.send_heartbeat()
            await self._renew_slots()
            BUS_PUBSUB_CONNECTIONS.set(self._bus.pubsub_connections)

    async def _renew_slots(self) -> None:
        slots: dict[str, list[str]] = {}
        for socket in self._sockets.values():
            slots.setdefault(keys.ws_user_connections(socket.user_id), []).append(
                socket.connection_id
            )
        try:
            await self._bus.renew_slots(slots, self._slot_ttl)
        except BusError as error:
            log.warning("could not renew the connection slots: %s", error)

    def send_heartbeat(self) -> int:
        """Send a heartbeat to every socket here, closing those silent too long (``4408``)
        and those whose token has expired (``4498``).

        Returns how many sockets got the heartbeat.
        """
        now = self._clock()
        silent_since = now - self._settings.heartbeat_interval * self._settings.heartbeat_misses
        frame = server_frames.heartbeat(now)
        sent = 0
        for socket in list(self._sockets.values()):
            if socket.last_seen < silent_since:
                socket.close(CLOSE_SILENT, "no frame from the client for too long")
            elif socket.expires_at is not None and socket.expires_at <= now:
                socket.close(CLOSE_TOKEN_EXPIRED, "the token expired; authenticate again")
            else:
                socket.offer(frame)
                sent += 1
        return sent

    # counting ----------------------------------------------------------------------------
    def get_connection_count(self, user_id: str | None = None) -> int:
        """Open sockets on this instance, all or of one user."""
        if user_id is None:
            return len(self._registry)
        return len(self._registry.connections_of(user_id))

    def get_connection_stats(self) -> ConnectionStats:
        """This instance's counts; ``GET /api/ws/stats`` sums every instance's."""
        return self._registry.stats()

    def _snapshot(self) -> tuple[ConnectionStats, list[str]]:
        return self._registry.stats(), list({s.user_id: None for s in self._sockets.values()})
