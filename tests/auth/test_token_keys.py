"""Keys that change without downtime (docs/contract.md §4, Credentials): the previous
``SECRET_KEY``, a platform's JWKS found by ``kid``, ``iss`` and ``aud``; and the
tokens an attacker would try against them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest

from config import ConfigError, Settings, load_settings
from quart_app import create_app
from quart_app.services.auth import jwks
from quart_app.services.auth.jwks import KeySet
from quart_app.services.auth.tokens import InvalidToken, TokenKeys, decode_token, mint_token
from tests.support.jwks import PlatformKey, https_server, jwks_document, platform_keys
from tests.support.tokens import SECRET
from tests.support.waiting import eventually

PREVIOUS = "the-key-before-this-one-0123456789abcdef"
CLAIMS = {"sub": "platform-user-1", "role": "customer"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def keys() -> list[PlatformKey]:
    return platform_keys()


@pytest.fixture
def jwks_file(tmp_path: Path, keys: list[PlatformKey]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(jwks_document(*keys))
    return path


def loaded(path: Path, clock: Callable[[], float] = time.monotonic) -> KeySet:
    key_set = KeySet(str(path), clock=clock)
    key_set.load()
    return key_set


def hs256_by_hand(claims: dict[str, Any], secret: bytes, kid: str | None) -> str:
    """An HS256 token keyed with any bytes (PyJWT refuses a public key as an HMAC secret:
    an attacker does not ask it)."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    body = {"exp": int(time.time()) + 3600, **claims}
    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(body).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


def test_the_previous_key_is_accepted_while_it_is_set_and_new_tokens_use_the_current() -> None:
    rotating = TokenKeys(SECRET, previous=PREVIOUS)
    old = mint_token(PREVIOUS, "7", "cook")
    assert decode_token(rotating, old).user_id == "7"
    assert decode_token(TokenKeys(SECRET), rotating.mint("8", "cook", ttl=60)).user_id == "8"
    with pytest.raises(InvalidToken, match="signature does not match"):
        decode_token(TokenKeys(SECRET), old)
    with pytest.raises(InvalidToken, match="expired"):
        decode_token(rotating, mint_token(PREVIOUS, "7", "cook", ttl=-60))


async def test_the_service_takes_tokens_of_the_previous_key_over_http(
    make_settings: Callable[..., Settings],
) -> None:
    old = {"Authorization": f"Bearer {mint_token(PREVIOUS, 'm1', 'manager')}"}
    for previous, status in ((PREVIOUS, 200), (None, 401)):
        settings = make_settings(secret_key_previous=previous)
        async with create_app(settings).test_app() as app:
            response = await app.test_client().get("/api/ws/stats", headers=old)
            assert response.status_code == status


def test_each_kind_of_platform_key_is_found_by_its_kid(
    jwks_file: Path, keys: list[PlatformKey]
) -> None:
    token_keys = TokenKeys(SECRET, jwks=loaded(jwks_file))
    for key in keys:
        principal = decode_token(token_keys, key.sign(CLAIMS))
        assert (principal.user_id, principal.role.value) == ("platform-user-1", "customer")
    # The service's own HS256 tokens (no kid) still pass beside them.
    assert decode_token(token_keys, token_keys.mint("7", "cook", ttl=60)).user_id == "7"


async def test_an_unknown_kid_reads_the_document_again_at_most_once_per_interval(
    jwks_file: Path, keys: list[PlatformKey]
) -> None:
    clock = Clock()
    key_set = loaded(jwks_file, clock)
    token_keys = TokenKeys(SECRET, jwks=key_set)
    rotated = PlatformKey("rsa-2", "RS256", keys[0].private)
    jwks_file.write_text(jwks_document(*keys, rotated))  # noqa: ASYNC240 (a small file)
    token = rotated.sign(CLAIMS)

    clock.now += jwks.REFETCH_INTERVAL / 2
    await token_keys.fetch_key_of(token)
    with pytest.raises(InvalidToken, match="kid names no key"):
        decode_token(token_keys, token)  # the document was read too recently

    clock.now += jwks.REFETCH_INTERVAL / 2
    await token_keys.fetch_key_of(token)
    assert decode_token(token_keys, token).user_id == "platform-user-1"


def test_issuer_and_audience_are_checked_when_set(jwks_file: Path, keys: list[PlatformKey]) -> None:
    strict = TokenKeys(SECRET, jwks=loaded(jwks_file), issuer="https://auth.shop", audience="voice")
    good = {**CLAIMS, "iss": "https://auth.shop", "aud": "voice"}
    assert decode_token(strict, keys[1].sign(good)).user_id == "platform-user-1"
    for claims, says in (
        ({**good, "iss": "https://evil.example"}, "iss is not the expected"),
        ({**good, "aud": "another-service"}, "aud is not the expected"),
        (CLAIMS, "lacks its iss claim"),
    ):
        with pytest.raises(InvalidToken, match=says):
            decode_token(strict, keys[1].sign(claims))
    # The service's own tokens carry them, and a token's aud is no reason to refuse when unset.
    assert decode_token(strict, strict.mint("7", "cook", ttl=60)).user_id == "7"
    assert decode_token(strict, strict.mint_order("o-1", ttl=60)).order_id == "o-1"
    lenient = TokenKeys(SECRET, jwks=loaded(jwks_file))
    assert decode_token(lenient, keys[1].sign(good)).user_id == "platform-user-1"


def test_forged_tokens_are_refused(jwks_file: Path, keys: list[PlatformKey]) -> None:
    token_keys = TokenKeys(SECRET, jwks=loaded(jwks_file))
    rsa_key, ec_key, _ = keys
    unsigned = jwt.encode({**CLAIMS, "exp": time.time() + 60}, None, "none")
    forged = {
        "alg none": unsigned,
        "alg none with a kid": jwt.encode(
            {**CLAIMS, "exp": time.time() + 60}, None, "none", headers={"kid": "rsa-1"}
        ),
        "HS256 keyed with the public key, kid": hs256_by_hand(
            CLAIMS, rsa_key.public_pem(), "rsa-1"
        ),
        "HS256 keyed with the public key": hs256_by_hand(CLAIMS, rsa_key.public_pem(), None),
        "HS256 keyed with the JWK text": hs256_by_hand(
            CLAIMS, json.dumps(rsa_key.jwk()).encode(), "rsa-1"
        ),
        "the EC key's signature under the RSA kid": jwt.encode(
            {**CLAIMS, "exp": time.time() + 60}, ec_key.private, "ES256", headers={"kid": "rsa-1"}
        ),
        "the RSA key with another algorithm": jwt.encode(
            {**CLAIMS, "exp": time.time() + 60}, rsa_key.private, "PS256", headers={"kid": "rsa-1"}
        ),
        "expired": rsa_key.sign({**CLAIMS, "exp": int(time.time()) - 3600}),
        "a kid that is a path": rsa_key.sign(CLAIMS, kid="../../../etc/passwd"),
        "a kid of a thousand characters": rsa_key.sign(CLAIMS, kid="k" * 1000),
    }
    for name, token in forged.items():
        with pytest.raises(InvalidToken):
            decode_token(token_keys, token)
            pytest.fail(f"accepted: {name}")


async def test_a_kid_that_is_too_long_reads_nothing() -> None:
    class Unreadable(KeySet):
        def _read(self) -> dict[str, Any]:
            raise AssertionError("read for a kid no document may hold")

    key_set = Unreadable("/nonexistent/jwks.json")
    await key_set.fetch_for("k" * (jwks.MAX_KID_LENGTH + 1))


async def test_a_document_over_https_is_fetched_for_a_new_kid_once_per_interval(
    tmp_path: Path, keys: list[PlatformKey]
) -> None:
    clock = Clock()
    with https_server(tmp_path, jwks_document(*keys).encode()) as server:
        key_set = KeySet(server.url, ssl_context=server.client_context, clock=clock)
        token_keys = TokenKeys(SECRET, jwks=key_set)
        token = keys[2].sign(CLAIMS)
        await token_keys.fetch_key_of(token)
        assert decode_token(token_keys, token).user_id == "platform-user-1"
        for kid in ("made-up-1", "made-up-2"):
            await token_keys.fetch_key_of(keys[2].sign(CLAIMS, kid=kid))
        assert server.requests == 1


async def test_a_huge_document_is_not_taken(tmp_path: Path, keys: list[PlatformKey]) -> None:
    padding = "x" * jwks.MAX_DOCUMENT_BYTES
    huge = json.dumps({"keys": [key.jwk() for key in keys], "padding": padding}).encode()
    with https_server(tmp_path, huge) as server:
        key_set = KeySet(server.url, ssl_context=server.client_context)
        token = keys[0].sign(CLAIMS)
        await key_set.fetch_for("rsa-1")
        assert server.requests == 1
        with pytest.raises(InvalidToken, match="kid names no key"):
            decode_token(TokenKeys(SECRET, jwks=key_set), token)
    (tmp_path / "huge.json").write_bytes(huge)
    with pytest.raises(jwks.JwksError, match="larger than"):
        loaded(tmp_path / "huge.json")


async def test_a_jwks_url_that_hangs_costs_its_token_a_refusal_not_the_loop(
    tmp_path: Path, keys: list[PlatformKey]
) -> None:
    with https_server(tmp_path, None) as server:
        key_set = KeySet(server.url, ssl_context=server.client_context, timeout=1.0)
        token_keys = TokenKeys(SECRET, jwks=key_set)
        token = keys[0].sign(CLAIMS)
        fetching = asyncio.create_task(token_keys.fetch_key_of(token))
        # The wait below runs only because the fetch waits off the loop.
        await eventually(server.connected.is_set)
        assert not fetching.done()
        await fetching
        with pytest.raises(InvalidToken, match="kid names no key"):
            decode_token(token_keys, token)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("http://auth.shop/jwks.json", "JWT_JWKS: must be a JWKS file path or an https:// URL"),
        ("https:///jwks.json", "JWT_JWKS: must be a JWKS file path or an https:// URL"),
        ("/nonexistent/jwks.json", "JWT_JWKS: no such file"),
    ],
)
def test_a_jwks_setting_that_cannot_work_is_refused(value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings(jwt_jwks=value)


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("not json", "not JSON"),
        ('{"keys": []}', "no usable signing key"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "shared"}]}', "no signing key with"),
    ],
)
def test_a_jwks_file_the_service_cannot_use_stops_the_start(
    make_settings: Callable[..., Settings], tmp_path: Path, document: str, says: str
) -> None:
    path = tmp_path / "bad-jwks.json"
    path.write_text(document)
    with pytest.raises(ConfigError, match=f"^JWT_JWKS: .*{says}"):
        create_app(make_settings(jwt_jwks=str(path)))


def test_a_weak_previous_key_is_refused_in_production_without_quoting_it() -> None:
    weak = "a" * 40
    with pytest.raises(ConfigError) as caught:
        load_settings(app_env="production", secret_key=PREVIOUS[::-1], secret_key_previous=weak)
    assert "SECRET_KEY_PREVIOUS: too little variety" in str(caught.value)
    assert weak not in str(caught.value)


async def test_a_platform_token_passes_over_http_and_the_websocket(
    make_settings: Callable[..., Settings], jwks_file: Path, keys: list[PlatformKey]
) -> None:
    settings = make_settings(jwt_jwks=str(jwks_file), jwt_issuer="https://auth.shop")
    manager = keys[0].sign({"sub": "m1", "role": "manager", "iss": "https://auth.shop"})
    async with create_app(settings).test_app() as app:
        client = app.test_client()
        response = await client.get("/api/ws/stats", headers={"Authorization": f"Bearer {manager}"})
        assert response.status_code == 200
        unknown = keys[0].sign({"sub": "m1", "role": "manager"}, kid="rotated-away")
        response = await client.get("/api/ws/stats", headers={"Authorization": f"Bearer {unknown}"})
        assert response.status_code == 401
        assert (await response.get_json())["error"]["message"] == (
            "The token's kid names no key the service knows."
        )
        dev = await client.post("/api/dev/token", json={"user_id": "c1", "role": "customer"})
        async with client.websocket("/api/ws") as socket:
            frame = {"type": "auth", "user_id": "c1", "user_type": "customer"}
            await socket.send(json.dumps({**frame, "token": (await dev.get_json())["token"]}))
            assert json.loads(await socket.receive())["type"] == "connected"
