from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest

from config import AIWorkerMode, ConfigError, dev_secret, load_settings, with_secret_key
from config.dev_secret import development_secret


def test_defaults_are_the_embedded_service() -> None:
    settings = load_settings()
    assert settings.bus_url == "memory://"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.ai_worker_mode is AIWorkerMode.EMBEDDED
    assert settings.ai_timeout == 30


def test_a_hands_free_stream_goes_idle_after_60_s_of_no_audio_by_default() -> None:
    # docs/contract.md §7 (item 5); the endpoint silence and the longest utterance by default
    settings = load_settings()
    assert settings.stream_idle_timeout == 60
    assert (settings.stream_endpoint_ms, settings.stream_max_utterance_s) == (500, 30)


def test_redis_bus_defaults_to_an_external_worker() -> None:
    assert load_settings(bus_url="redis://127.0.0.1:6379/0").ai_worker_mode is AIWorkerMode.EXTERNAL


def test_a_sentinel_bus_url_is_taken() -> None:
    url = "redis+sentinel://:secret@s1:26379,s2:26380/mymaster/2"
    settings = load_settings(bus_url=url)
    assert settings.bus_url == url
    assert settings.ai_worker_mode is AIWorkerMode.EXTERNAL


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_TIMEOUT", "12.5")
    monkeypatch.setenv("BUS_URL", "redis://cache:6379/1")
    settings = load_settings()
    assert settings.ai_timeout == 12.5
    assert settings.bus_url == "redis://cache:6379/1"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("AI_TIMEOUT", "-1", "AI_TIMEOUT: Input should be greater than 0"),
        ("AI_TIMEOUT", "soon", "AI_TIMEOUT: Input should be a valid number"),
        (
            "BUS_URL",
            "kafka://broker",
            "BUS_URL: unsupported bus URL scheme 'kafka'; use one of memory://, redis://, "
            "rediss://, redis+sentinel://, redis+cluster://",
        ),
        ("BUS_URL", "redis+sentinel://s1:26379", "BUS_URL: a Sentinel URL needs the master's"),
        ("BUS_URL", "redis+sentinel://s1:port/mymaster", "BUS_URL: bad sentinel address 's1:port'"),
        (
            "BUS_URL",
            "redis+cluster://n1:7000/2",
            "BUS_URL: a Redis Cluster has no database numbers",
        ),
        ("DATABASE_URL", "sqlite:///x.db", "DATABASE_URL: must be an SQLAlchemy async URL"),
        ("AI_WORKER", "sometimes", "AI_WORKER: Input should be 'embedded' or 'external'"),
        ("APP_ENV", "prod", "APP_ENV: Input should be 'development' or 'production'"),
        ("SESSION_TTL", "0", "SESSION_TTL: Input should be greater than 0"),
        ("STREAM_IDLE_TIMEOUT", "120", "STREAM_IDLE_TIMEOUT: Input should be less than 120"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert says in message
    assert "\n" not in message


def test_production_refuses_a_missing_or_short_secret() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY: production needs a secret"):
        load_settings(app_env="production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(app_env="production", secret_key="short")
    random = secrets.token_hex(16)
    assert load_settings(app_env="production", secret_key=random).secret_key == random


@pytest.mark.parametrize("key", [" " * 40, "a" * 64, "abcdefgh" * 8])
def test_production_refuses_a_secret_of_too_little_variety_without_quoting_it(key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(app_env="production", secret_key=key)
    message = str(caught.value)
    assert "SECRET_KEY: too little variety" in message
    assert "\n" not in message and key not in message


def test_an_empty_secret_is_refused_not_used() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY: empty"):
        load_settings(secret_key="")


def test_development_keeps_one_generated_secret_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = tmp_path / "var" / "secret-key"
    settings = with_secret_key(load_settings(secret_key_file=key_file))
    assert settings.secret_key is not None
    assert len(settings.secret_key) >= 32
    assert f"using the development key generated in {key_file}" in caplog.text
    again = with_secret_key(load_settings(secret_key_file=key_file))
    assert again.secret_key == settings.secret_key
    assert f"using the development key kept in {key_file}" in caplog.text
    assert with_secret_key(load_settings(secret_key="k" * 40)).secret_key == "k" * 40


def test_the_development_key_file_is_private(tmp_path: Path) -> None:
    key_file = tmp_path / "secret-key"
    key, created = development_secret(key_file)
    assert created
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text() == key
    assert list(tmp_path.iterdir()) == [key_file]  # no candidate file left behind


def test_a_key_another_process_made_meanwhile_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "secret-key"

    def another_process_first(nbytes: int) -> str:
        # It finished between this process's look and its own write.
        key_file.write_text("theirs-" + "t" * 40)
        return "mine-" + "m" * 40

    monkeypatch.setattr(dev_secret.secrets, "token_urlsafe", another_process_first)
    assert development_secret(key_file) == ("theirs-" + "t" * 40, False)
    assert list(tmp_path.iterdir()) == [key_file]


def test_an_empty_development_key_file_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "secret-key"
    key_file.write_text("\n")
    with pytest.raises(ConfigError, match=r"SECRET_KEY_FILE: .* is empty; delete it"):
        development_secret(key_file)


def test_a_session_lock_must_outlast_an_ai_round_trip() -> None:
    with pytest.raises(ConfigError, match="SESSION_LOCK_TIMEOUT: must be at least AI_TIMEOUT"):
        load_settings(ai_timeout=30, session_lock_timeout=20)
    assert load_settings(ai_timeout=30, session_lock_timeout=35).session_lock_timeout == 35


def test_a_refused_url_is_shown_without_its_password() -> None:
    with pytest.raises(ConfigError, match="BUS_URL") as caught:
        load_settings(bus_url="redis+sentinel://:hunter2@s1:26379")
    assert "hunter2" not in str(caught.value)
    assert "://:***@s1:26379" in str(caught.value)


@pytest.mark.parametrize("field", ["secret_key", "llm_api_key", "stt_api_key", "image_api_key"])
def test_a_refused_key_is_never_shown(field: str) -> None:
    with pytest.raises(ConfigError, match=field.upper()) as caught:
        load_settings(**{field: 987654321987})
    assert "987654321987" not in str(caught.value)
