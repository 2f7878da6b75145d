from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from quart import Blueprint, Quart, g
from quart.testing import QuartClient

from domain.orders import Role
from quart_app.auth import optional_principal, require_manager, require_staff
from quart_app.models.base import USER_ID_LENGTH
from quart_app.services.auth.tokens import (
    InvalidToken,
    Principal,
    TokenKeys,
    decode_token,
    is_self_or_staff,
    mint_token,
)
from tests.support.tokens import KEYS, SECRET, bearer


def test_a_token_keys_is_never_empty_nor_shown() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        TokenKeys("")
    assert "top-secret" not in repr(TokenKeys("top-secret"))


def test_a_minted_token_decodes_to_its_principal() -> None:
    token = mint_token(SECRET, "42", "cook")
    assert decode_token(KEYS, token) == Principal("42", Role.COOK)


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"sub": "1", "role": "cook", "exp": -3600}, "expired"),
        ({"sub": "1", "role": "chef", "exp": 60}, "role is not one the service knows"),
        ({"role": "cook", "exp": 60}, "lacks its sub claim"),
        ({"sub": "1", "role": "cook"}, "lacks its exp claim"),
        ({"sub": 7, "role": "cook", "exp": 60}, "sub must be a non-empty string"),
        ({"sub": "", "role": "cook", "exp": 60}, "sub must be a non-empty"),
        *(
            (
                {"sub": sub, "role": "cook", "exp": 60},
                f"sub must be at most {USER_ID_LENGTH}",
            )
            for sub in ("x" * (USER_ID_LENGTH + 1), "a\x00b", "a\nb", "a\x7fb", "a\x85b")
        ),
        *(
            (claims, "claims must be valid Unicode text")
            for claims in (
                {"sub": "a\ud800b", "role": "cook", "exp": 60},
                {"sub": "1", "role": "cook", "exp": 60, "name": "\udfff"},
                {"sub": "1", "role": "cook", "exp": 60, "\ud83d": "key"},
            )
        ),
    ],
)
def test_bad_claims_are_refused(claims: dict[str, Any], says: str) -> None:
    # "exp" is given relative to now: a time taken at collection may be long past by the
    # time this runs in a slow suite.
    if "exp" in claims:
        claims = {**claims, "exp": time.time() + claims["exp"]}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken, match=says):
        decode_token(KEYS, token)


def test_a_sub_may_be_as_long_as_a_user_id() -> None:
    longest = "é" * USER_ID_LENGTH
    assert decode_token(KEYS, mint_token(SECRET, longest, "customer")).user_id == longest


@pytest.mark.parametrize(
    ("principal", "owner_id", "allowed"),
    [
        (Principal("c1", Role.CUSTOMER), "c1", True),
        (Principal("c1", Role.CUSTOMER), "c2", False),
        (Principal("c1", Role.CUSTOMER), None, False),
        *((Principal("s1", role), None, True) for role in (Role.COOK, Role.DELIVERY, Role.MANAGER)),
    ],
)
def test_self_or_staff(principal: Principal, owner_id: str | None, allowed: bool) -> None:
    assert is_self_or_staff(principal, owner_id) is allowed


def test_a_token_signed_with_another_key_or_algorithm_is_refused() -> None:
    with pytest.raises(InvalidToken):
        decode_token(KEYS, mint_token("another-key-" * 4, "1", "manager"))
    unsigned = jwt.encode({"sub": "1", "role": "manager", "exp": time.time() + 60}, None, "none")
    with pytest.raises(InvalidToken):
        decode_token(KEYS, unsigned)


guarded = Blueprint("guarded", __name__)


@guarded.get("/guarded/staff")
@require_staff
async def staff_only() -> dict[str, str]:
    return {"user": g.principal.user_id}


@guarded.get("/guarded/manager")
@require_manager
async def manager_only() -> dict[str, str]:
    return {"user": g.principal.user_id}


@guarded.get("/guarded/anyone")
async def anyone() -> dict[str, Any]:
    principal = optional_principal()
    return {"user": principal.user_id if principal else None}


@pytest.fixture
def client(app: Quart) -> QuartClient:
    app.register_blueprint(guarded)
    return app.test_client()


async def test_staff_view_takes_any_staff_role(client: QuartClient) -> None:
    for role in ("cook", "delivery", "manager"):
        response = await client.get("/guarded/staff", headers=bearer("s1", role))
        assert response.status_code == 200
        assert await response.get_json() == {"user": "s1"}


async def test_no_token_is_401_wrong_role_is_403(client: QuartClient) -> None:
    response = await client.get("/guarded/manager")
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"
    response = await client.get("/guarded/manager", headers=bearer("c1", "customer"))
    assert response.status_code == 403
    assert (await response.get_json())["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Basic abc", "Bearer not.a.jwt", f"Bearer {mint_token('x' * 40, '1', 'cook')}"],
)
async def test_bad_credentials_are_401(client: QuartClient, header: str) -> None:
    response = await client.get("/guarded/staff", headers={"Authorization": header})
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"


async def test_guest_passes_where_a_token_is_optional(client: QuartClient) -> None:
    assert await (await client.get("/guarded/anyone")).get_json() == {"user": None}
    response = await client.get("/guarded/anyone", headers=bearer("c9", "customer"))
    assert await response.get_json() == {"user": "c9"}


async def test_a_refusal_says_why_in_the_services_words_not_the_parsers(
    client: QuartClient, caplog: pytest.LogCaptureFixture
) -> None:
    forged = mint_token("another-key-" * 4, "1", "cook")
    response = await client.get("/guarded/staff", headers={"Authorization": f"Bearer {forged}"})
    assert (await response.get_json())["error"]["message"] == (
        "The token's signature does not match."
    )
    assert "Signature verification failed" in caplog.text  # PyJWT's words, for the operator
