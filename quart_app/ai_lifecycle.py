"""The voice services open with the app: AI requester, embedded worker, sessions.

Registered after the bus and the database (``app.while_serving`` runs in
order), so both are open when these start and still open when they stop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

from quart import Quart

from bus.ai import AIRequester
from config import AIWorkerMode, Settings
from quart_app.blueprints import media, voice
from quart_app.blueprints.orders import SESSION_ORDER_PLACER
from quart_app.extensions import get_bus
from quart_app.services.voice.ai_client import AIClient
from quart_app.services.voice.analyze import VoiceService
from quart_app.services.voice.audio import MULTIPART_OVERHEAD
from quart_app.services.voice.data import VOICE_DATA, ServiceVoiceData, VoiceData
from quart_app.services.voice.errors import register_voice_error_handlers
from quart_app.services.voice.runtime import VOICE, VoiceRuntime
from quart_app.services.voice.sessions import SessionStore
from quart_app.upload_limits import with_upload_limits

log = logging.getLogger(__name__)

LOCK_WAIT_MARGIN = 1.0
"""A request on a busy conversation waits as long as one turn may take (the AI
timeout) and this much more, then gets 409 ``session_busy``."""


def install_voice(app: Quart, settings: Settings) -> None:
    """Everything of the voice API: its routes, error mapping, upload limit and services."""
    app.request_class = with_upload_limits(
        app.request_class, {voice.STT_PATH: settings.max_audio_bytes + MULTIPART_OVERHEAD}
    )
    register_voice_error_handlers(app)
    app.register_blueprint(voice.bp)
    app.register_blueprint(media.bp)
    open_voice(app, settings)


def open_voice(app: Quart, settings: Settings) -> None:
    """Start the voice services when the app starts serving; stop them after.

    With ``AI_WORKER=embedded`` the reference AI worker runs inside this
    process, on the same bus. The data layer is ``app.extensions[VOICE_DATA]``
    if something put one there, else the catalog and order services.
    """

    @app.while_serving
    async def _voice() -> AsyncGenerator[None, None]:
        bus = get_bus()
        requester = AIRequester(bus, max_in_flight=settings.ai_max_in_flight)
        await requester.start()
        data = _voice_data(app)
        ai = AIClient(requester, data, timeout=settings.ai_timeout)
        store = SessionStore(
            bus,
            ttl=settings.session_ttl,
            lock_ttl=settings.session_lock_timeout,
            lock_wait=min(settings.session_lock_timeout, settings.ai_timeout + LOCK_WAIT_MARGIN),
        )
        conversations = VoiceService(ai, store, data)
        app.extensions[VOICE] = VoiceRuntime(ai=ai, conversations=conversations)
        app.extensions[SESSION_ORDER_PLACER] = conversations.place_order_from_session
        worker = None
        if settings.ai_worker_mode is AIWorkerMode.EMBEDDED:
            from ai_worker.runner import Worker
            from quart_app.worker_config import worker_config

            worker = Worker(bus, worker_config(settings))
            await worker.start()
            log.info("embedded AI worker started")
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            del app.extensions[VOICE], app.extensions[SESSION_ORDER_PLACER]
            await requester.close()


def _voice_data(app: Quart) -> VoiceData:
    injected: VoiceData | None = app.extensions.get(VOICE_DATA)
    if injected is not None:
        return injected
    return ServiceVoiceData(app)
