"""The names of a streaming request's keys (docs/contract.md §1.5, §1.6): exact, and in
a Redis Cluster all in the request's one hash slot."""

from __future__ import annotations

from redis.crc import key_slot

from bus.ai import make_request_message
from bus.keys import STT_STREAM, ai_audio, ai_queue, ai_result, ai_stream_final


def test_a_stream_request_s_names_are_the_contract_s() -> None:
    assert ai_queue(STT_STREAM) == "ai:queue:stt_stream"
    assert ai_audio("3f0c") == "ai:audio:3f0c"
    assert ai_stream_final("ai:result:3f0c", 2) == "ai:result:3f0c:2"


def test_in_a_cluster_reply_to_the_finals_and_the_audio_share_the_request_s_slot() -> None:
    message = make_request_message(STT_STREAM, {}, timeout=30, tagged=True)
    request_id, reply_to = message["request_id"], message["reply_to"]
    audio = ai_audio(request_id, tagged=True)

    assert reply_to == ai_result(request_id, tagged=True) == f"ai:result:{{{request_id}}}"
    assert audio == f"ai:audio:{{{request_id}}}"
    names = (reply_to, audio, ai_stream_final(reply_to, 0), ai_stream_final(reply_to, 7))
    assert len({key_slot(name.encode()) for name in names}) == 1
