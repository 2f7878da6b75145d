"""``WS /api/voice/stream``: hands-free talk (docs/contract.md §7).

Close codes: ``1000`` after ``stop`` (or no audio frame for ``STREAM_IDLE_TIMEOUT``, or
the AI Server closed the stream unasked);
``1003`` a binary frame that is not 10 to 250 ms of 16-bit PCM; ``1011`` the AI
Server failed, went silent or died mid-stream, or a server error; ``1013`` no AI
Server took the stream; ``4400`` a bad start frame; ``4401`` a bad token;
``4403`` someone else's conversation (or one that is unknown or finished);
``4429`` rate-limited, or too many streams of this caller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import ValidationError
from quart import Blueprint, websocket
from quart_cors import cors_exempt

from bus.ai import AIResultError
from bus.base import BusError
from bus.tasks import stop_tasks
from domain.errors import DomainError
from quart_app.error_handlers import describe
from quart_app.errors import as_sentence
from quart_app.extensions import (
    get_optional_rate_limiter,
    get_settings,
    get_token_keys,
    get_voice,
)
from quart_app.rate_limit_hook import budgets, caller_key, order_permit, spend
from quart_app.schemas.voice_stream import ControlFrame, StartFrame
from quart_app.services.auth.tokens import InvalidToken, Principal, decode_token
from quart_app.services.ratelimit.callers import TrustedProxies
from quart_app.services.realtime.local_socket import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHORIZED,
)
from quart_app.services.voice.errors import StreamRefused, TooManyStreams
from quart_app.services.voice.hands_free import AIServerLost, BadAudio, HandsFreeStream

log = logging.getLogger(__name__)

bp = Blueprint("voice_stream", __name__, url_prefix="/api/voice")

CLOSE_NORMAL = 1000
CLOSE_BAD_DATA = 1003
CLOSE_BAD_START = 4400
CLOSE_FORBIDDEN = 4403
_UNEXPECTED = "An unexpected error occurred."


class _Close(Exception):
    """End the socket with an error frame and a close code."""

    def __init__(self, close: int, code: str, message: str) -> None:
        super().__init__(message)
        self.close = close
        self.code = code
        self.message = message


async def _send(frame: dict[str, Any]) -> None:
    await websocket.send(orjson.dumps(frame).decode())


@bp.websocket("/stream")
@cors_exempt  # the start frame's token authenticates the socket, not its Origin
async def stream() -> None:
    """Start, then audio frames in, transcripts and answers out, until stop or silence."""
    try:
        await _serve()
    except _Close as close:
        await _send({"type": "error", "code": close.code, "message": close.message})
        await websocket.close(close.close, close.code)
    except Exception:  # a bug: the client learns the stream failed, not that it ended well
        log.exception("hands-free stream failed")
        await _send({"type": "error", "code": "internal_error", "message": _UNEXPECTED})
        await websocket.close(CLOSE_INTERNAL_ERROR, "internal_error")


async def _serve() -> None:
    settings = get_settings()
    start = await _start_frame(settings.ws_auth_timeout, settings.ws_max_message_bytes)
    if start.token is not None:
        await get_token_keys().fetch_key_of(start.token)
    principal, caller = _caller(start)
    user_id = None if principal is None else principal.user_id
    hands_free = get_voice().hands_free
    try:
        with hands_free.slot(caller):
            limiter = get_optional_rate_limiter()
            refusal = None if limiter is None else await limiter.allows(_analyze_budget(), caller)
            if refusal is not None:
                raise _Close(CLOSE_TOO_MANY_CONNECTIONS, "rate_limited", refusal.message)
            try:
                talk = await hands_free.open(
                    user_id,
                    start.session_id,
                    start.language,
                    permit=order_permit(principal, lambda: caller),
                )
            except StreamRefused as refused:
                message = as_sentence(refused.message)
                raise _Close(CLOSE_TRY_AGAIN_LATER, "ai_unavailable", message) from None
            except DomainError as refused:  # not the caller's conversation, or a finished one
                code, message = describe(refused) or ("forbidden", "Not your conversation.")
                raise _Close(CLOSE_FORBIDDEN, code, message) from None
            try:
                await _talk(talk, caller, settings.stream_idle_timeout)
            finally:
                await talk.close()
    except TooManyStreams as refused:
        raise _Close(
            CLOSE_TOO_MANY_CONNECTIONS, "too_many_streams", as_sentence(refused.message)
        ) from None


async def _start_frame(within: float, max_bytes: int) -> StartFrame:
    try:
        raw = await asyncio.wait_for(websocket.receive(), within)
    except TimeoutError:
        message = f"No start frame within {within:g} s."
        raise _Close(CLOSE_BAD_START, "invalid_start", message) from None
    if len(raw) > max_bytes:
        raise _Close(CLOSE_BAD_START, "invalid_start", "The start frame is too large.")
    try:
        return StartFrame.model_validate_json(raw)
    except ValidationError as error:
        fields = sorted({".".join(map(str, item["loc"])) or "frame" for item in error.errors()})
        message = f"The first frame must be a valid start frame ({', '.join(fields)})."
        raise _Close(CLOSE_BAD_START, "invalid_start", message) from None


def _caller(start: StartFrame) -> tuple[Principal | None, str]:
    """Who the token names (``None``: a guest) and whose budget the stream spends."""
    principal = None
    if start.token is not None:
        try:
            principal = decode_token(get_token_keys(), start.token)
        except InvalidToken as error:
            raise _Close(CLOSE_UNAUTHORIZED, "unauthorized", as_sentence(str(error))) from None
    proxies = TrustedProxies(get_settings().trusted_proxies)
    key = caller_key(
        principal, proxies, websocket.remote_addr, websocket.headers.get("X-Forwarded-For")
    )
    return principal, key


def _analyze_budget() -> str:
    return budgets(get_settings())["voice.analyze"].name


def _spender(caller: str) -> Callable[[], Awaitable[str | None]]:
    async def spend_one() -> str | None:
        if get_optional_rate_limiter() is None:
            return None
        refusal = await spend(_analyze_budget(), caller)
        return None if refusal is None else refusal.message

    return spend_one


async def _talk(talk: HandsFreeStream, caller: str, idle_timeout: float) -> None:
    await _send({"type": "ready", "session_id": talk.session_id, "stream_id": talk.stream_id})
    relay = asyncio.create_task(talk.relay(_send, _spender(caller), describe))
    listen = asyncio.create_task(_listen(talk, idle_timeout))
    watch = asyncio.create_task(talk.watch_ai_server())  # raises once its worker is gone
    first = asyncio.FIRST_COMPLETED
    try:
        await asyncio.wait((relay, listen, watch), return_when=first)
        if listen.done() and not watch.done():
            listen.result()  # a bad frame or idleness ends the stream at once
            # stop: the last utterance's final and reply, then closed
            await asyncio.wait((relay, watch), return_when=first)
        if watch.done():
            watch.result()
        relay.result()
        if not listen.done():
            raise _Close(CLOSE_NORMAL, "closed", "The AI Server closed the stream.")
    except AIServerLost:
        message = "The AI Server serving this stream stopped."
        raise _Close(CLOSE_INTERNAL_ERROR, "ai_unavailable", message) from None
    except (BusError, AIResultError) as error:
        code, message = describe(error) or ("ai_error", "The AI Server failed.")
        raise _Close(CLOSE_INTERNAL_ERROR, code, message) from None
    finally:
        await stop_tasks([relay, listen, watch])
    await websocket.close(CLOSE_NORMAL, "stopped")


async def _listen(talk: HandsFreeStream, idle_timeout: float) -> None:
    """Read client frames until ``stop``; raises :class:`_Close` for a bad audio frame or
    ``idle_timeout`` s without an audio frame (text frames, pings included, do not count:
    they would hold the stream and its slot forever)."""
    loop = asyncio.get_running_loop()
    idle_at = loop.time() + idle_timeout
    while True:
        try:
            frame = await asyncio.wait_for(websocket.receive(), max(0.0, idle_at - loop.time()))
        except TimeoutError:
            await talk.end()
            raise _Close(CLOSE_NORMAL, "idle", f"No audio for {idle_timeout:g} s.") from None
        if isinstance(frame, bytes):
            try:
                await talk.audio(frame)
            except BadAudio as error:
                await talk.end()
                raise _Close(CLOSE_BAD_DATA, "bad_audio", str(error)) from None
            idle_at = loop.time() + idle_timeout
            continue
        control = await _control(frame)
        if control is None:
            continue
        if control.type == "ping":
            await _send({"type": "pong"})
        else:
            await talk.end()
            return


async def _control(frame: str) -> ControlFrame | None:
    """The frame, or ``None`` once an error frame told the client what was wrong."""
    try:
        decoded = orjson.loads(frame)
    except orjson.JSONDecodeError:
        mistake = ("invalid_json", "A frame must be JSON.")
    else:
        if not isinstance(decoded, dict):
            mistake = ("invalid_frame", "A frame must be a JSON object.")
        else:
            try:
                return ControlFrame.model_validate(decoded)
            except ValidationError:
                mistake = ("unknown_type", "After start: stop, ping, or binary audio.")
    await _send({"type": "error", "code": mistake[0], "message": mistake[1]})
    return None
