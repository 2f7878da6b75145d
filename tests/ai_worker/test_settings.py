"""The worker's settings: every engine option from the environment, and the engines use them."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faster_whisper
import pytest

from ai_worker.engines.image_openai import OpenAIImageEngine
from ai_worker.engines.llm_openai import OpenAILLMEngine
from ai_worker.engines.stt_whisper import WhisperEngine
from config import load_settings
from config.worker import WorkerSettings
from tests.support.ai_catalog import llm_payload
from tests.support.fake_openai import FakeOpenAI, chat_reply

FIXTURES = Path(__file__).parent / "fixtures"
NOT_DEFAULT: dict[str, Any] = {
    "llm_engine": "openai",
    "llm_base_url": "http://llm.test/v1",
    "llm_model": "qwen2.5:7b",
    "llm_api_key": "k-1",
    "llm_temperature": 0.5,
    "stt_engine": "openai",
    "stt_model": "/models/whisper-small",
    "stt_device": "cuda",
    "stt_device_index": 1,
    "stt_compute_type": "float16",
    "stt_cpu_threads": 3,
    "stt_parallel_decodes": 3,
    "stt_beam_size": 2,
    "stt_vad": False,
    "stt_prompt_use": "initial_prompt",
    "stt_base_url": "http://stt.test/v1",
    "stt_api_key": "k-2",
    "image_engine": "openai",
    "image_base_url": "http://image.test/v1",
    "image_model": "sd",
    "image_api_key": "k-3",
    "image_size": "512x512",
    "image_font": "/fonts/cake.ttf",
    "ai_worker_concurrency": 7,
    "ai_worker_streams": 3,
    "stt_stream_window_s": 20.0,
    "ai_worker_http_timeout": 9.0,
    "ai_worker_kinds": ("llm", "image"),
    "ai_worker_id": "worker-7",
    "ai_worker_poll_timeout": 2.0,
    "ai_worker_heartbeat_ttl": 30.0,
}
"""A value other than the default for every field of :class:`WorkerSettings`."""


def _environment_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def test_every_option_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(NOT_DEFAULT) == set(WorkerSettings.model_fields)
    defaults = WorkerSettings().model_dump(exclude={"ai_worker_id"})
    for name, value in NOT_DEFAULT.items():
        assert defaults.get(name) != value, name
        monkeypatch.setenv(name.upper(), _environment_value(value))

    assert WorkerSettings().model_dump() == NOT_DEFAULT
    # The service's settings are the same definition: the embedded worker reads the same.
    service = load_settings().model_dump(include=set(NOT_DEFAULT))
    assert service == NOT_DEFAULT


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"stt_device": "tpu"}, "'cpu', 'cuda' or 'auto'"),
        ({"stt_beam_size": 0}, "stt_beam_size"),
        ({"image_size": "1024x512"}, "must be square"),
        ({"ai_worker_kinds": "llm,video"}, "non-empty subset of stt, llm, image"),
        ({"llm_base_url": "ftp://llm.test"}, "must start with http:// or https://"),
        ({"ai_worker_id": "a:b"}, "without ':' or '\\*'"),
    ],
)
def test_a_wrong_option_is_refused(overrides: dict[str, Any], refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        WorkerSettings(**overrides)


class _FakeWhisperModel:
    """faster-whisper's model, as far as the engine uses it: records what it is given."""

    def __init__(self, path: str, **options: Any) -> None:
        self.path, self.options = path, options
        self.transcribed: dict[str, Any] = {}
        self.model = SimpleNamespace(is_multilingual=True)
        self.max_length = 448
        self.hf_tokenizer = SimpleNamespace(
            encode=lambda text, add_special_tokens: SimpleNamespace(ids=text.split())
        )

    def transcribe(self, samples: Any, **options: Any) -> tuple[list[Any], Any]:
        self.transcribed = options
        return [], SimpleNamespace(language="en")


def test_the_parallel_decodes_share_the_cores_unless_threads_are_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(faster_whisper, "WhisperModel", _FakeWhisperModel)
    monkeypatch.setattr("os.cpu_count", lambda: 4)

    loaded = [
        WhisperEngine(WorkerSettings(stt_parallel_decodes=decodes))._load().options
        for decodes in (1, 2)
    ]

    assert [(options["num_workers"], options["cpu_threads"]) for options in loaded] == [
        (1, 0),
        (2, 2),
    ]


def test_the_whisper_engine_runs_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faster_whisper, "WhisperModel", _FakeWhisperModel)
    settings = WorkerSettings(**{k: v for k, v in NOT_DEFAULT.items() if k.startswith("stt_")})
    engine = WhisperEngine(settings)

    engine.transcribe((FIXTURES / "order_en.wav").read_bytes(), "en", "Two French Dinners.")

    model = engine._load()
    assert isinstance(model, _FakeWhisperModel)
    assert (model.path, model.options) == (
        "/models/whisper-small",
        {
            "device": "cuda",
            "device_index": 1,
            "compute_type": "float16",
            "cpu_threads": 3,
            "num_workers": 3,
            "local_files_only": True,
        },
    )
    assert {
        name: model.transcribed[name]
        for name in ("beam_size", "vad_filter", "initial_prompt", "hotwords")
    } == {
        "beam_size": 2,
        "vad_filter": False,
        "initial_prompt": "Two French Dinners.",
        "hotwords": None,
    }


async def test_the_openai_engines_send_temperature_and_size(fake_openai: FakeOpenAI) -> None:
    settings = WorkerSettings(
        llm_engine="openai",
        llm_base_url=fake_openai.url,
        llm_model="m",
        llm_temperature=0.7,
        image_engine="openai",
        image_base_url=fake_openai.url,
        image_size="512x512",
    )
    llm, image = OpenAILLMEngine(settings), OpenAIImageEngine(settings)
    try:
        fake_openai.reply = chat_reply(json.dumps({"response": "Hello!"}))
        await llm.run(llm_payload("hello"))
        fake_openai.reply = {"data": [{"b64_json": "iVBORw0KGgo="}]}
        await image.run({"prompt": "a cake"})
    finally:
        await llm.close()
        await image.close()
    chat, picture = fake_openai.requests
    assert (chat.body["temperature"], picture.body["size"]) == (0.7, "512x512")


def test_a_stream_s_final_is_decoded_in_a_15_s_window_by_default() -> None:
    # A 10 s window heard the development lines worse than the clip path's 30 s
    # (bench/stream_vs_clip.py: 17-20% word errors against 15-16%; 15 s: 14.7%).
    assert WorkerSettings().stt_stream_window_s == 15.0
