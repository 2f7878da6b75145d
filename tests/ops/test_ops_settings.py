"""The operations settings: rates, origins, proxies, the media store's default."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings
from config.rate_limit_syntax import RateLimit, parse_rate_limit
from config.settings import MediaStoreKind


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("60/minute", RateLimit(60, 60)),
        ("5/10seconds", RateLimit(5, 10)),
        (" 1000 / day ", RateLimit(1000, 86400)),
        ("3/2Hours", RateLimit(3, 7200)),
    ],
)
def test_rates_are_parsed(text: str, limit: RateLimit) -> None:
    assert parse_rate_limit(text) == limit


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("rate_limit_analyze", "lots", "RATE_LIMIT_ANALYZE: 'lots' is not a rate"),
        ("rate_limit_stt", "0/minute", "RATE_LIMIT_STT: '0/minute': the amount"),
        ("rate_limit_image", "5/0minutes", "RATE_LIMIT_IMAGE: '5/0minutes': the amount"),
        ("cors_origins", "shop.example", "CORS_ORIGINS: 'shop.example' is not an origin"),
        ("cors_origins", "https://a.example/path", "is not an origin"),
        ("trusted_proxies", "10.0.0.0/8,lb", "TRUSTED_PROXIES: 'lb' is not an IP"),
        ("ws_max_connections_per_user", "0", "WS_MAX_CONNECTIONS_PER_USER"),
        ("media_store", "s3", "MEDIA_STORE"),
        ("log_format", "xml", "LOG_FORMAT"),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable.upper(), value)
    with pytest.raises(ConfigError, match=r"^invalid configuration: ") as raised:
        load_settings()
    assert says in str(raised.value)
    assert "\n" not in str(raised.value)


def test_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, http://localhost:3000")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,::1")
    settings = load_settings()
    assert settings.cors_origins == ("https://a.example", "http://localhost:3000")
    assert settings.trusted_proxies == ("10.0.0.0/8", "::1")


def test_the_media_store_follows_the_bus_unless_set() -> None:
    assert load_settings(bus_url="memory://").media_store_kind is MediaStoreKind.DIRECTORY
    assert load_settings(bus_url="redis://r:6379/0").media_store_kind is MediaStoreKind.DATABASE
    chosen = load_settings(bus_url="memory://", media_store="database")
    assert chosen.media_store_kind is MediaStoreKind.DATABASE
