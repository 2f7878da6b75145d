"""WS /api/voice/stream with a scripted streaming AI Server, on every bus."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from quart.testing import QuartClient

from bus.ai_messages import END_FIELD, PCM_FIELD, PROMPT_FIELD
from bus.ai_stream import AUDIO_MAXLEN
from bus.keys import STT_STREAM, ai_audio, ai_queue, ai_result, ai_worker_alive
from domain.draft import OrderDraft
from domain.speech_hints import recognition_prompt
from domain.stages import Stage
from quart_app.extensions import VOICE
from quart_app.services.auth.tokens import mint_token
from quart_app.services.voice.hands_free import AHEAD_ALLOWED, MIN_FRAME_MS
from quart_app.testing import ScriptedAIServer, error, never, speaks
from tests.support.bus_backends import Backend
from tests.support.hands_free import (
    SILENT,
    STREAM,
    VOICED,
    closed_with,
    frames_until,
    pinging_until_closed,
    receive,
    say_an_order_then_yes,
    say_words,
    script_an_order,
    start_frame,
    streaming,
)
from tests.support.tokens import SECRET
from tests.support.voice_api import FakeVoiceData, StartApp, llm_answer
from tests.support.waiting import eventually


async def test_an_utterance_is_heard_transcribed_and_answered(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    ai_server.stt_stream.queue(speaks("two french dinners"))
    ai_server.llm.queue(llm_answer("Which style?", order_state={"menu_code": "french"}))

    async with streaming(client) as ws:
        await say_words(ws, voiced_frames=3)
        frames = await frames_until(ws, "reply")

    assert [frame["type"] for frame in frames] == [
        "speech_started",
        "partial",
        "partial",
        "final",
        "reply",
    ]
    assert frames[0] == {"type": "speech_started", "utterance": 0}
    assert frames[2] == {"type": "partial", "utterance": 0, "text": "two french"}
    assert frames[3] == {"type": "final", "utterance": 0, "text": "two french dinners"}
    reply = frames[4]
    assert reply["utterance"] == 0
    assert reply["analysis"]["response"] == "Which style?"
    assert reply["analysis"]["session_id"] == ws.ready["session_id"]  # type: ignore[attr-defined]
    assert ai_server.llm.payloads[0]["transcript"] == "two french dinners"
    assert ai_server.llm.payloads[0]["session_id"] == ws.ready["session_id"]  # type: ignore[attr-defined]


async def test_the_request_names_its_audio_stream_and_the_settings(
    client: QuartClient, ai_server: ScriptedAIServer, backend: Backend
) -> None:
    ai_server.stt_stream.queue(speaks())

    async with streaming(client) as ws:
        stream_id = ws.ready["stream_id"]  # type: ignore[attr-defined]

    (request,) = ai_server.stt_stream.requests
    assert request["type"] == "stt_stream"
    assert request["request_id"] == stream_id
    payload = request["payload"]
    assert payload["audio_key"] == ai_audio(stream_id, tagged=backend.bus.sharded)
    assert (payload["sample_rate"], payload["encoding"], payload["language"]) == (
        16000,
        "pcm_s16le",
        "en",
    )
    assert payload["endpoint_ms"] == 500
    assert payload["max_utterance_s"] == 30
    assert "French" in payload["prompt"]


async def test_a_final_with_no_words_gets_no_reply_and_the_stream_goes_on(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    # docs/contract.md §7 (item 3): a cough or a noise is no turn, and spends none
    ai_server.stt_stream.queue(speaks("", "hello"))
    ai_server.llm.queue(llm_answer("Hello!", intent="greeting"))

    async with streaming(client) as ws:
        await say_words(ws, voiced_frames=1)
        noise = await frames_until(ws, "final")
        await say_words(ws, voiced_frames=1)
        heard = await frames_until(ws, "reply")

    assert noise[-1] == {"type": "final", "utterance": 0, "text": ""}
    assert [frame["type"] for frame in heard] == ["speech_started", "final", "reply"]
    assert heard[-1]["utterance"] == 1
    assert [payload["transcript"] for payload in ai_server.llm.payloads] == ["hello"]


async def test_each_reply_sends_the_new_stage_s_prompt(
    client: QuartClient, ai_server: ScriptedAIServer, data: FakeVoiceData
) -> None:
    speech = speaks("two french dinners", "grand style")
    ai_server.stt_stream.queue(speech)
    ai_server.llm.queue(
        llm_answer("Which style?", order_state={"menu_code": "french"}, state="style_selection"),
        llm_answer("Grand, confirm?", style_selection=1, state="confirmation"),
    )

    async with streaming(client) as ws:
        await say_words(ws)
        await frames_until(ws, "reply")
        await say_words(ws)
        second = await frames_until(ws, "reply")

    assert [(frame["type"], frame["utterance"]) for frame in second] == [
        ("speech_started", 1),
        ("partial", 1),
        ("partial", 1),
        ("final", 1),
        ("reply", 1),
    ]
    assert second[-1]["analysis"]["state"] == "confirmation"
    assert ai_server.llm.payloads[1]["context"]["stage"] == "style_selection"
    # the prompt of the stage the first reply reached: French's styles, after the
    # request's own (the greeting's); the second reply's may not be read yet
    catalog = await data.catalog()
    french = OrderDraft(menu_code="french")
    styles = recognition_prompt(catalog, "en", Stage.STYLE_SELECTION, french)
    assert speech.prompts[0] == styles != ai_server.stt_stream.requests[0]["payload"]["prompt"]
    assert "Grand style, please." in styles


async def test_stop_finishes_the_utterance_then_closes_normally(
    client: QuartClient, ai_server: ScriptedAIServer, backend: Backend
) -> None:
    ai_server.stt_stream.queue(speaks("hello there"))
    ai_server.llm.queue(llm_answer("Hello!", intent="greeting"))

    async with streaming(client) as ws:
        await ws.send(VOICED)
        await ws.send(VOICED)
        await ws.send(json.dumps({"type": "stop"}))
        code, frames = await closed_with(ws)
        stream_id = ws.ready["stream_id"]  # type: ignore[attr-defined]

    assert code == 1000
    assert [f["type"] for f in frames][-2:] == ["final", "reply"]
    entries = await backend.bus.stream_read(
        ai_audio(stream_id, tagged=backend.bus.sharded), "0", count=100, block=0
    )
    assert [next(iter(entry.fields)) for entry in entries] == [PCM_FIELD, PCM_FIELD, END_FIELD]


async def test_every_entry_of_the_audio_stream_is_trimmed_and_expires_120_s_after_it(
    client: QuartClient,
    ai_server: ScriptedAIServer,
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # docs/contract.md §1.5: XADD ... MAXLEN ~, the key expiring 120 s after its last
    # entry, so that audio nobody ends (a service that died) neither grows nor stays.
    ai_server.stt_stream.queue(speaks("two french dinners"))
    ai_server.llm.queue(llm_answer("Which style?", order_state={"menu_code": "french"}))
    appended: list[tuple[str, str, int, float]] = []
    stream_add = backend.bus.stream_add

    async def recorded(stream: str, fields: Any, *, maxlen: int, ttl: float) -> str:
        appended.append((stream, next(iter(fields)), maxlen, ttl))
        return await stream_add(stream, fields, maxlen=maxlen, ttl=ttl)

    monkeypatch.setattr(backend.bus, "stream_add", recorded)

    async with streaming(client) as ws:
        audio = ai_audio(ws.ready["stream_id"], tagged=backend.bus.sharded)  # type: ignore[attr-defined]
        await say_words(ws, voiced_frames=1)
        await frames_until(ws, "reply")
        await eventually(lambda: PROMPT_FIELD in [field for _, field, _, _ in appended])
        await ws.send(json.dumps({"type": "stop"}))
        code, _ = await closed_with(ws)

    assert code == 1000
    assert {field for _, field, _, _ in appended} == {PCM_FIELD, PROMPT_FIELD, END_FIELD}
    assert {(stream, maxlen, ttl) for stream, _, maxlen, ttl in appended} == {
        (audio, AUDIO_MAXLEN, 120.0)
    }
    # a bound, yet 10 s of audio even in the shortest frames: an AI Server a little
    # behind loses none
    assert 10 * 1000 // MIN_FRAME_MS <= AUDIO_MAXLEN <= 100_000


async def test_a_client_sending_faster_than_real_time_is_held_to_it(
    client: QuartClient,
    ai_server: ScriptedAIServer,
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # docs/contract.md §7 (item 2): audio more than AHEAD_ALLOWED s ahead of the time since
    # the first frame waits for real time (a lower bound: a slow machine only adds)
    ai_server.stt_stream.queue(speaks())
    added: list[float] = []
    stream_add = backend.bus.stream_add

    async def timed(stream: str, fields: Any, *, maxlen: int, ttl: float) -> str:
        if PCM_FIELD in fields:
            added.append(time.monotonic())
        return await stream_add(stream, fields, maxlen=maxlen, ttl=ttl)

    monkeypatch.setattr(backend.bus, "stream_add", timed)
    frames = 150  # 3 s of audio, sent at once

    async with streaming(client) as ws:
        for _ in range(frames):
            await ws.send(SILENT)
        await eventually(lambda: len(added) == frames)

    # the last frame (2.98 s in) is appended no sooner than 1.98 s after the first
    audio_before_last = (frames - 1) * len(SILENT) / 32_000
    assert added[-1] - added[0] >= audio_before_last - AHEAD_ALLOWED


async def test_ping_is_answered_and_a_bad_text_frame_does_not_end_the_stream(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    ai_server.stt_stream.queue(speaks("hi"))
    ai_server.llm.queue(llm_answer("Hello!", intent="greeting"))

    async with streaming(client) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}
        for bad, code in (
            ("not json", "invalid_json"),
            ("[1]", "invalid_frame"),
            (json.dumps({"type": "dance"}), "unknown_type"),
        ):
            await ws.send(bad)
            frame = await receive(ws)
            assert (frame["type"], frame["code"]) == ("error", code)
        await say_words(ws, voiced_frames=1)
        frames = await frames_until(ws, "reply")

    assert frames[-1]["analysis"]["response"] == "Hello!"


async def test_a_bad_audio_frame_ends_only_that_stream(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    ai_server.stt_stream.always(speaks("hi", "hi"))
    ai_server.llm.always(llm_answer("Hello!", intent="greeting"))

    async with streaming(client) as other:
        for bad in (VOICED[:-1], VOICED[:100], VOICED * 13):  # odd, 3 ms, 260 ms
            async with streaming(client) as ws:
                await ws.send(bad)
                code, frames = await closed_with(ws)
                assert code == 1003
                assert frames[-1]["code"] == "bad_audio", frames
        await say_words(other, voiced_frames=1)
        assert (await frames_until(other, "reply"))[-1]["type"] == "reply"


async def test_bad_start_frames_are_refused_with_4400(client: QuartClient) -> None:
    for bad in (
        "nope",
        json.dumps({"type": "auth"}),
        start_frame(sample_rate=8000),
        start_frame(language="fr"),
    ):
        async with client.websocket(STREAM) as ws:
            await ws.send(bad)
            code, frames = await closed_with(ws)
        assert code == 4400
        assert frames == [frames[0]] and frames[0]["code"] == "invalid_start"


async def test_no_start_frame_in_time_is_refused_with_4400(
    backend: Backend, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, ws_auth_timeout=0.3)

    async with client.websocket(STREAM) as ws:
        code, frames = await closed_with(ws)

    assert code == 4400
    assert frames == [frames[0]] and frames[0]["code"] == "invalid_start"
    assert "within 0.3 s" in frames[0]["message"]


async def test_a_start_frame_too_large_is_refused_with_4400(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, ws_max_message_bytes=256)
    ai_server.stt_stream.always(speaks())

    async with client.websocket(STREAM) as ws:
        # A valid start frame but for its size: unknown fields are ignored.
        await ws.send(start_frame(padding="x" * 300))
        code, frames = await closed_with(ws)

    assert code == 4400
    assert frames == [frames[0]] and frames[0]["code"] == "invalid_start"
    assert frames[0]["message"] == "The start frame is too large."
    assert ai_server.stt_stream.requests == []


async def test_a_bad_token_is_refused_with_4401(client: QuartClient) -> None:
    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame(token="not-a-jwt"))
        code, frames = await closed_with(ws)

    assert code == 4401
    assert frames[0]["code"] == "unauthorized"


async def test_someone_else_s_conversation_is_refused_with_4403(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    ai_server.stt_stream.always(speaks())
    alice = mint_token(SECRET, "alice", "customer")
    async with streaming(client, token=alice) as ws:
        session_id = ws.ready["session_id"]  # type: ignore[attr-defined]

    async with client.websocket(STREAM) as ws:
        await ws.send(
            start_frame(token=mint_token(SECRET, "bob", "customer"), session_id=session_id)
        )
        code, frames = await closed_with(ws)

    assert code == 4403
    assert frames[0]["code"] == "session_forbidden"
    # a member's conversation is not a guest's to continue: the member shows their token
    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame(session_id=session_id))
        code, frames = await closed_with(ws)
    assert (code, frames[0]["code"]) == (4403, "session_forbidden")


async def test_an_unknown_conversation_is_refused_with_4403(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    ai_server.stt_stream.always(speaks())

    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame(session_id="no-such-conversation"))
        code, frames = await closed_with(ws)

    assert code == 4403
    assert frames[0]["code"] == "session_not_found"
    assert ai_server.stt_stream.requests == []


async def test_a_conversation_that_placed_its_order_is_refused_with_4403(
    client: QuartClient, ai_server: ScriptedAIServer, data: FakeVoiceData
) -> None:
    script_an_order(ai_server)
    alice = mint_token(SECRET, "alice", "customer")
    async with streaming(client, token=alice) as ws:
        session_id = ws.ready["session_id"]  # type: ignore[attr-defined]
        placed = await say_an_order_then_yes(ws)
    assert placed[-1]["analysis"]["order_id"] in data.orders

    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame(token=alice, session_id=session_id))
        code, frames = await closed_with(ws)

    assert code == 4403
    assert frames[0]["code"] == "session_completed"
    assert len(ai_server.stt_stream.requests) == 1


async def test_a_member_continues_their_own_conversation(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    ai_server.stt_stream.always(speaks("hi"))
    ai_server.llm.always(llm_answer("Hello!", intent="greeting"))
    alice = mint_token(SECRET, "alice", "customer")
    async with streaming(client, token=alice) as ws:
        session_id = ws.ready["session_id"]  # type: ignore[attr-defined]

    async with streaming(client, token=alice, session_id=session_id) as ws:
        assert ws.ready["session_id"] == session_id  # type: ignore[attr-defined]
        await say_words(ws, voiced_frames=1)
        await frames_until(ws, "reply")

    assert ai_server.llm.payloads[0]["user_id"] == "alice"


async def test_no_ai_server_taking_the_stream_closes_1013(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, ai_timeout=0.5)
    ai_server.stt_stream.queue(never(), error("overloaded", "every slot is taken"))

    for _ in range(2):
        async with client.websocket(STREAM) as ws:
            await ws.send(start_frame())
            code, frames = await closed_with(ws)
        assert code == 1013
        assert frames[0]["code"] == "ai_unavailable"


async def test_a_full_ai_queue_closes_1013_at_once(backend: Backend, start_app: StartApp) -> None:
    # No AI Server reads the queue, and one request already waits in it.
    client = await start_app(backend.bus, ai_queue_max_length=1, ai_timeout=30.0)
    await backend.bus.push(ai_queue(STT_STREAM), b"{}")

    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame())
        code, frames = await closed_with(ws)  # well within the AI timeout

    assert code == 1013
    assert frames[0]["code"] == "ai_unavailable"
    assert len(await backend.bus.items(ai_queue(STT_STREAM))) == 1


async def test_an_ai_server_that_falls_silent_mid_utterance_gives_an_error_frame(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, ai_timeout=1.0)
    ai_server.stt_stream.queue(speaks("hello", fall_silent=True))

    async with streaming(client) as ws:
        await ws.send(VOICED)
        await ws.send(VOICED)
        code, frames = await closed_with(ws)

    assert code == 1011
    assert frames[-1] == {
        "type": "error",
        "code": "ai_timeout",
        "message": "The AI Server did not answer in time.",
    }


async def test_an_ai_server_that_dies_between_utterances_gives_an_error_frame(
    backend: Backend,
    ai_server: ScriptedAIServer,
    start_app: StartApp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nobody speaks, so no AI_TIMEOUT runs: only the worker's heartbeat tells.
    client = await start_app(
        backend.bus, ai_worker_heartbeat_ttl=0.6, ai_worker_poll_timeout=0.1, ai_timeout=30.0
    )
    alive = ai_worker_alive("worker-1")
    await backend.bus.set(alive, "worker-1")  # the test says when the worker dies
    ai_server.stt_stream.queue(speaks("hello", worker="worker-1"))
    ai_server.llm.queue(llm_answer("Hello!", intent="greeting"))
    looks: list[str] = []
    get = backend.bus.get

    async def counted_get(key: str) -> bytes | None:
        looks.append(key)
        return await get(key)

    monkeypatch.setattr(backend.bus, "get", counted_get)

    async with streaming(client) as ws:
        await say_words(ws, voiced_frames=1)
        answered = await frames_until(ws, "reply")
        await eventually(lambda: looks.count(alive) >= 3)
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}  # alive all along: the stream goes on
        await backend.bus.delete(alive)
        code, frames = await closed_with(ws)

    assert answered[-1]["analysis"]["response"] == "Hello!"
    assert code == 1011
    assert frames[-1] == {
        "type": "error",
        "code": "ai_unavailable",
        "message": "The AI Server serving this stream stopped.",
    }


@pytest.mark.parametrize(
    ("published", "close", "code"),
    [
        ({"status": "error", "error": {"code": "bad_audio", "message": "no"}}, 1011, "ai_error"),
        ({"status": "ok", "result": {"event": "partial"}}, 1011, "bad_ai_result"),  # no text
        # `closed` is due only after `end`; one that comes first leaves nothing to wait for
        ({"status": "ok", "result": {"event": "closed"}}, 1000, "closed"),
    ],
)
async def test_an_error_a_malformed_event_or_an_early_closed_mid_stream_ends_it(
    client: QuartClient,
    ai_server: ScriptedAIServer,
    backend: Backend,
    published: dict[str, Any],
    close: int,
    code: str,
) -> None:
    ai_server.stt_stream.queue(speaks())

    async with streaming(client) as ws:
        stream_id = ws.ready["stream_id"]  # type: ignore[attr-defined]
        envelope = {"request_id": stream_id, **published}
        await backend.bus.publish(
            ai_result(stream_id, tagged=backend.bus.sharded), json.dumps(envelope)
        )
        closed, frames = await closed_with(ws)

    assert closed == close
    assert frames[-1]["code"] == code


async def test_an_unexpected_error_mid_stream_closes_1011_with_an_error_frame(
    client: QuartClient, ai_server: ScriptedAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a bug, not a refusal: 1000 would tell the client all went well
    ai_server.stt_stream.queue(speaks("hello"))

    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(client.app.extensions[VOICE].conversations, "analyze", broken)

    async with streaming(client) as ws:
        await say_words(ws, voiced_frames=1)
        code, frames = await closed_with(ws)

    assert code == 1011
    assert frames[-1] == {
        "type": "error",
        "code": "internal_error",
        "message": "An unexpected error occurred.",
    }


async def test_no_audio_for_the_idle_timeout_closes_1000(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, stream_idle_timeout=0.5)
    ai_server.stt_stream.queue(speaks())

    async with streaming(client) as ws:
        code, frames = await closed_with(ws)

    assert code == 1000
    assert frames[-1]["code"] == "idle"


async def test_pings_alone_do_not_hold_the_stream_open(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    idle = 0.5
    client = await start_app(backend.bus, stream_idle_timeout=idle)
    ai_server.stt_stream.queue(speaks())

    async with streaming(client) as ws:
        code, frames = await pinging_until_closed(ws, every=idle / 10)

    assert code == 1000
    assert frames[-1]["code"] == "idle"
    assert {frame["type"] for frame in frames[:-1]} == {"pong"}
    assert len(frames) > 3  # the pings were answered all along


async def test_a_dropped_socket_ends_the_stream_for_the_ai_server(
    client: QuartClient, ai_server: ScriptedAIServer, backend: Backend
) -> None:
    ai_server.stt_stream.queue(speaks("hello there"))

    async with streaming(client) as ws:
        await ws.send(VOICED)
        await ws.send(VOICED)
        stream_id = ws.ready["stream_id"]  # type: ignore[attr-defined]
        await frames_until(ws, "partial")

    async def ended() -> bool:
        entries = await backend.bus.stream_read(
            ai_audio(stream_id, tagged=backend.bus.sharded), "0", count=100, block=0
        )
        return bool(entries) and END_FIELD in entries[-1].fields

    await eventually(ended)


async def test_a_caller_may_hold_only_so_many_streams(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, stream_max_per_caller=1)
    ai_server.stt_stream.always(speaks())
    alice = mint_token(SECRET, "alice", "customer")

    async with streaming(client, token=alice):
        async with client.websocket(STREAM) as ws:
            await ws.send(start_frame(token=alice))
            code, frames = await closed_with(ws)
        # Another caller is not affected.
        async with streaming(client, token=mint_token(SECRET, "bob", "customer")):
            pass

    assert code == 4429
    assert frames[0]["code"] == "too_many_streams"


async def test_each_utterance_spends_an_analyze_call(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp, data: FakeVoiceData
) -> None:
    client = await start_app(backend.bus, rate_limit_analyze="1/hour")
    ai_server.stt_stream.always(speaks("hi", "hi again"))
    ai_server.llm.always(llm_answer("Hello!", intent="greeting"))

    async with streaming(client) as ws:
        await say_words(ws, voiced_frames=1)
        assert (await frames_until(ws, "reply"))[-1]["type"] == "reply"
        await say_words(ws, voiced_frames=1)
        refused = await frames_until(ws, "error")

    assert refused[-1]["code"] == "rate_limited"
    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame())
        code, frames = await closed_with(ws)
    assert code == 4429
    assert frames[0]["code"] == "rate_limited"


async def test_a_staff_member_s_spoken_yes_places_no_order(
    client: QuartClient, ai_server: ScriptedAIServer, data: FakeVoiceData
) -> None:
    script_an_order(ai_server)
    cook = mint_token(SECRET, "cook-1", "cook")

    async with streaming(client, token=cook) as ws:
        refused = await say_an_order_then_yes(ws, answered="error")

    assert refused[-1]["code"] == "forbidden"
    assert data.orders == {}
