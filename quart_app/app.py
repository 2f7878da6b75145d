"""The application factory."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points

from quart import Blueprint, Quart
from quart_schema import Info, QuartSchema

from bus import Bus
from config import ConfigError, Environment, Settings, load_settings, with_secret_key
from config.logs import configure_logging
from quart_app.auth import fetch_token_key
from quart_app.blueprints import (
    dev,
    docs,
    health,
    media,
    menus,
    metrics,
    orders,
    pages,
    staff,
    voice,
    voice_stream,
    ws,
)
from quart_app.cross_origin import allow_origins
from quart_app.error_handlers import register_error_handlers
from quart_app.extensions import SETTINGS, TOKEN_KEYS
from quart_app.hosts import refuse_malformed_requests
from quart_app.hypercorn_ws_buffer import bound_websocket_messages
from quart_app.lifecycle import open_resources
from quart_app.observability.http_metrics import record_http_metrics
from quart_app.observability.metrics import forget_this_process
from quart_app.observability.request_ids import RequestIdMiddleware
from quart_app.openapi import ContractOpenAPIProvider
from quart_app.rate_limit_hook import budgets, install_rate_limits
from quart_app.request import ApiRequest
from quart_app.services.auth.tokens import token_keys
from quart_app.services.ratelimit.callers import TrustedProxies
from quart_app.services.voice.audio import MULTIPART_OVERHEAD
from quart_app.services.voice.data_source import ServiceVoiceData, VoiceDataFactory
from quart_app.shutdown import install_shutdown_gate
from quart_app.upload_limits import with_upload_limits
from quart_app.ws_receive import BoundedWebsocketConnection

API_TITLE = "Voice & Realtime service"
API_VERSION = "0.1.0"
BLUEPRINTS_ENTRY_POINT = "voice_realtime.blueprints"
"""The entry-point group through which installed packages add blueprints to the app."""


def create_app(
    settings: Settings | None = None,
    *,
    bus: Bus | None = None,
    voice_data: VoiceDataFactory = ServiceVoiceData,
    blueprints: Iterable[Blueprint] | None = None,
) -> Quart:
    """Build the app from ``settings`` (default: the environment, see ``config``).

    Resources (bus, database, media store, realtime fan-out, AI requester, worker)
    open before serving and close in reverse after (:mod:`quart_app.lifecycle`),
    so ``hypercorn "quart_app:create_app()"`` and ``app.test_app()`` both run them.
    Test seams: pass ``bus`` to share one already connected bus between app
    instances (two instances on one ``MemoryBus`` in a test; the caller closes
    it), and ``voice_data`` to give the voice flow another data layer.

    ``blueprints`` are a team's own, registered after the service's: by default
    (``None``) those that installed packages declare in the entry-point group
    ``voice_realtime.blueprints`` (``docs/extending.md``), so ``voice-realtime
    serve`` serves them; a list registers exactly those (tests, a factory of your own).
    """
    from_environment = settings is None
    try:
        settings = load_settings() if settings is None else settings
        configure_logging(settings.log_level, settings.log_format)
        settings = with_secret_key(settings)
        keys = token_keys(settings)
    except ConfigError as error:
        if not from_environment:
            raise
        # Under `hypercorn "quart_app:create_app()"`: one line, not a traceback.
        raise SystemExit(f"voice-realtime: {error}") from None
    bound_websocket_messages()  # the hypercorn serving this app, if any

    app = Quart(__name__, static_folder=None)  # the pages blueprint serves /static
    app.asgi_websocket_class = BoundedWebsocketConnection  # a flooding client waits on TCP
    # No route redirects ("/a//b" is 404, not 308 to "/a/b"): a redirect's Location
    # would be built from the request's Host header.
    app.url_map.merge_slashes = False
    app.asgi_app = refuse_malformed_requests(app.asgi_app)  # type: ignore[method-assign]
    app.request_class = with_upload_limits(
        ApiRequest, {voice.STT_PATH: settings.max_audio_bytes + MULTIPART_OVERHEAD}
    )
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["QUART_SCHEMA_CONVERSION_PREFERENCE"] = "pydantic"
    app.extensions[SETTINGS] = settings
    app.extensions[TOKEN_KEYS] = keys

    QuartSchema(
        app,
        info=Info(title=API_TITLE, version=API_VERSION),
        openapi_path="/openapi.json",
        security_schemes={"bearer": {"type": "http", "scheme": "bearer", "bearer_format": "JWT"}},
        openapi_provider_class=ContractOpenAPIProvider,
        swagger_ui_path=None,  # its page loads from a CDN: blueprints/docs.py serves /docs
        redoc_ui_path=None,
        scalar_ui_path=None,
    )
    register_error_handlers(app)

    open_resources(app, settings, keys, shared_bus=bus, voice_data=voice_data)
    if settings.rate_limits_enabled:
        install_rate_limits(app, budgets(settings), TrustedProxies(settings.trusted_proxies))
    record_http_metrics(app)
    if keys.jwks is not None:
        app.before_request(fetch_token_key)
    app.after_serving(forget_this_process)

    app.register_blueprint(voice.bp)
    app.register_blueprint(voice_stream.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(ws.bp)
    app.register_blueprint(menus.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(pages.bp)
    if settings.app_env is Environment.DEVELOPMENT:
        app.register_blueprint(dev.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(docs.bp)
    for blueprint in installed_blueprints() if blueprints is None else blueprints:
        app.register_blueprint(blueprint)
    app.asgi_app = RequestIdMiddleware(app.asgi_app)  # type: ignore[method-assign,assignment]
    allow_origins(app, settings.cors_origins)
    install_shutdown_gate(app)
    return app


def installed_blueprints() -> list[Blueprint]:
    """The blueprints installed packages declare in :data:`BLUEPRINTS_ENTRY_POINT`, by name."""
    found = sorted(entry_points(group=BLUEPRINTS_ENTRY_POINT), key=lambda point: point.name)
    loaded = [(point, point.load()) for point in found]
    wrong = [point.value for point, blueprint in loaded if not isinstance(blueprint, Blueprint)]
    if wrong:
        raise TypeError(f"{BLUEPRINTS_ENTRY_POINT} entry points must name blueprints: {wrong}")
    return [blueprint for _, blueprint in loaded]
