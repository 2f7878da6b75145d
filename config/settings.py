"""Service configuration, read from environment variables (docs/contract.md §8).

Every variable is the upper-case name of a field below (``BUS_URL``,
``AI_TIMEOUT``, ...). :func:`load_settings` turns any wrong value into one
:class:`ConfigError` line naming the variable and what it allows.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from bus.keys import WS_NOTIFY_PARTITIONS
from bus.urls import check_bus_url
from config.dev_secret import development_secret
from config.errors import ConfigError
from config.rate_limit_syntax import RateLimit, parse_rate_limit
from config.worker import WorkerSettings, comma_separated

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_SYMBOLS = 10
"""Distinct characters a production key needs: 32 random hex digits hold 16 (fewer than
10 is vanishingly rare), forty spaces or ``aaaa…`` hold one."""
_SHORT_KEY = (
    f"{{name}}: production needs a secret of at least {MIN_SECRET_KEY_LENGTH} characters, "
    "shared with the platform's auth service"
)
TURN_MARGIN_SECONDS = 5.0
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class AIWorkerMode(StrEnum):
    EMBEDDED = "embedded"
    EXTERNAL = "external"


class MediaStoreKind(StrEnum):
    DATABASE = "database"
    DIRECTORY = "directory"


class Settings(WorkerSettings):
    """All settings of one service instance; the reference AI worker's are inherited
    (:class:`config.worker.WorkerSettings`), so ``voice-realtime worker`` reads the same."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    app_env: Environment = Environment.DEVELOPMENT
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    # wires (docs/contract.md §8)
    bus_url: str = "memory://"
    database_url: str = "sqlite+aiosqlite:///var/voice-realtime.db"
    secret_key: str | None = None
    secret_key_previous: str | None = None  # still accepted while keys change
    jwt_jwks: str | None = None  # a JWKS file path or https:// URL
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    secret_key_file: Path = Path("var/secret-key")  # development: the generated key
    ai_worker: AIWorkerMode | None = None  # None: embedded on memory://, external on Redis
    ai_timeout: float = Field(30.0, gt=0, le=600)
    media_dir: Path = Path("var/media")
    media_store: MediaStoreKind | None = None  # None: directory on memory://, else database
    media_retention: float = Field(7 * 86400.0, gt=0, le=3650 * 86400)
    media_sweep_interval: float = Field(3600.0, gt=0, le=86400)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    # operations (README "Operations")
    rate_limits_enabled: bool = True
    rate_limit_analyze: Annotated[RateLimit, NoDecode] = parse_rate_limit("60/minute")
    rate_limit_stt: Annotated[RateLimit, NoDecode] = parse_rate_limit("20/minute")
    rate_limit_image: Annotated[RateLimit, NoDecode] = parse_rate_limit("10/minute")
    rate_limit_orders: Annotated[RateLimit, NoDecode] = parse_rate_limit("20/minute")
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    ws_max_connections_per_user: int = Field(20, ge=1, le=10_000)

    # limits
    max_request_bytes: int = Field(1 * MIB, ge=1024, le=64 * MIB)
    max_transcript_chars: int = Field(2000, ge=1, le=100_000)
    max_audio_bytes: int = Field(25 * MIB, ge=1024, le=512 * MIB)
    max_image_bytes: int = Field(10 * MIB, ge=1024, le=128 * MIB)
    ai_max_in_flight: int = Field(1000, ge=1, le=100_000)
    ai_queue_max_length: int = Field(100, ge=1, le=1_000_000)
    redis_max_connections: int = Field(32, ge=2, le=10_000)
    redis_pool_timeout: float = Field(5.0, gt=0, le=120)
    redis_socket_timeout: float = Field(5.0, gt=0, le=120)

    # voice sessions
    session_ttl: float = Field(1800.0, gt=0, le=7 * 86400)
    session_lock_timeout: float = Field(60.0, gt=0, le=900)

    # hands-free talk (docs/contract.md §7)
    stream_endpoint_ms: int = Field(500, ge=100, le=5000)
    stream_max_utterance_s: float = Field(30.0, gt=0, le=600)
    # Under the 120 s after which a stream's audio key expires and the AI Server
    # gives the stream up: a longer wait would wait on a stream nobody reads.
    stream_idle_timeout: float = Field(60.0, gt=0, lt=120)
    stream_max_per_caller: int = Field(2, ge=1, le=1000)

    # realtime
    heartbeat_interval: float = Field(25.0, gt=0, le=3600)
    heartbeat_misses: int = Field(3, ge=1, le=100)
    ws_auth_timeout: float = Field(5.0, gt=0, le=120)
    ws_max_message_bytes: int = Field(64 * 1024, ge=256, le=16 * MIB)
    ws_send_queue: int = Field(256, ge=1, le=100_000)
    notification_retention: float = Field(86400.0, gt=0, le=30 * 86400)
    notification_log_maxlen: int = Field(1000, ge=1, le=1_000_000)
    stats_ttl: float = Field(30.0, gt=0, le=3600)
    ws_notify_partitions: int = Field(WS_NOTIFY_PARTITIONS, ge=1, le=1024)  # on a cluster
    outbox_poll_interval: float = Field(1.0, gt=0, le=60)
    outbox_batch: int = Field(500, ge=1, le=10_000)
    outbox_publish_at_commit: bool = True

    # stopping
    shutdown_grace: float = Field(30.0, ge=0, le=3600)

    @field_validator("secret_key", "secret_key_previous", "jwt_issuer", "jwt_audience")
    @classmethod
    def _unset_or_not_empty(cls, value: str | None) -> str | None:
        if value == "":
            raise ValueError("empty; set a value, or unset it")
        return value

    @field_validator("jwt_jwks")
    @classmethod
    def _jwks_source(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "://" in value:
            parts = urlsplit(value)
            if parts.scheme != "https" or not parts.hostname:
                raise ValueError("must be a JWKS file path or an https:// URL")
        elif not Path(value).is_file():
            raise ValueError("no such file; give a JWKS file path or an https:// URL")
        return value

    @field_validator("bus_url")
    @classmethod
    def _usable_bus_url(cls, value: str) -> str:
        check_bus_url(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in DATABASE_SCHEMES:
            allowed = ", ".join(f"{name}://" for name in DATABASE_SCHEMES)
            raise ValueError(f"must be an SQLAlchemy async URL: {allowed}")
        return value

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return comma_separated(value)

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ValueError(f"{origin!r} is not an origin like https://shop.example")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an IP address or network") from None
        return value

    @field_validator(
        "rate_limit_analyze",
        "rate_limit_stt",
        "rate_limit_image",
        "rate_limit_orders",
        mode="before",
    )
    @classmethod
    def _rate_limit(cls, value: object) -> object:
        return parse_rate_limit(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> Settings:
        # The messages never quote the key: they end up in logs.
        if self.app_env is not Environment.PRODUCTION:
            return self
        if self.secret_key is None:
            raise ValueError(_SHORT_KEY.format(name="SECRET_KEY"))
        for name, key in (
            ("SECRET_KEY", self.secret_key),
            ("SECRET_KEY_PREVIOUS", self.secret_key_previous),
        ):
            if key is not None and len(key) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(_SHORT_KEY.format(name=name))
            if key is not None and len(set(key)) < MIN_SECRET_KEY_SYMBOLS:
                raise ValueError(
                    f"{name}: too little variety (fewer than {MIN_SECRET_KEY_SYMBOLS} distinct "
                    "characters); production needs a random secret"
                )
        return self

    @model_validator(mode="after")
    def _a_turn_fits_in_its_lock(self) -> Settings:
        # A voice turn holds its session's lock while it waits for the AI; a lock
        # that expires first would let a second turn interleave and lose one.
        if self.session_lock_timeout < self.ai_timeout + TURN_MARGIN_SECONDS:
            raise ValueError(
                f"SESSION_LOCK_TIMEOUT: must be at least AI_TIMEOUT + {TURN_MARGIN_SECONDS:g} "
                f"seconds ({self.ai_timeout + TURN_MARGIN_SECONDS:g}), "
                f"got {self.session_lock_timeout:g}"
            )
        return self

    @property
    def memory_bus(self) -> bool:
        return urlsplit(self.bus_url).scheme == "memory"

    @property
    def media_store_kind(self) -> MediaStoreKind:
        if self.media_store is not None:
            return self.media_store
        return MediaStoreKind.DIRECTORY if self.memory_bus else MediaStoreKind.DATABASE

    @property
    def ai_worker_mode(self) -> AIWorkerMode:
        if self.ai_worker is not None:
            return self.ai_worker
        return AIWorkerMode.EMBEDDED if self.memory_bus else AIWorkerMode.EXTERNAL


def load_settings(**overrides: object) -> Settings:
    """Read the environment (``overrides`` win) or raise one-line :class:`ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(_one_line(error)) from None


def with_secret_key(settings: Settings) -> Settings:
    """``settings`` with :func:`secret_key_of` as its ``SECRET_KEY``."""
    if settings.secret_key is not None:
        return settings
    return settings.model_copy(update={"secret_key": secret_key_of(settings)})


def secret_key_of(settings: Settings) -> str:
    """``SECRET_KEY``, else the development key kept in ``SECRET_KEY_FILE``, generated
    the first time (production refuses to start without a ``SECRET_KEY``)."""
    if settings.secret_key is not None:
        return settings.secret_key
    key, created = development_secret(settings.secret_key_file)
    log.warning(
        "SECRET_KEY is not set: using the development key %s %s",
        "generated in" if created else "kept in",
        settings.secret_key_file,
    )
    return key


def _one_line(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        names = [str(part).upper() for part in item["loc"]]
        message = str(item["msg"]).removeprefix("Value error, ")
        if message.startswith(tuple(f"{name}:" for name in names)) or not names:
            problems.append(message)
            continue
        problems.append(f"{'.'.join(names)}: {message}{_shown(item['loc'], item.get('input'))}")
    return "invalid configuration: " + "; ".join(problems)


# Start-up errors go to logs: never echo a key, nor the password inside a URL.
_SECRET_FIELDS = frozenset(
    {"secret_key", "secret_key_previous", "llm_api_key", "stt_api_key", "image_api_key"}
)
_URL_PASSWORD = re.compile(r"(://[^/@:]*:)[^/@]*@")


def _shown(loc: tuple[int | str, ...], got: object) -> str:
    if isinstance(got, dict) or any(part in _SECRET_FIELDS for part in loc):
        return ""
    if isinstance(got, str):
        got = _URL_PASSWORD.sub(r"\1***@", got)
    return f" (got {got!r})"
