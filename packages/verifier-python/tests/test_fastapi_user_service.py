"""The FastAPI user service example (examples/python/user_service_fastapi.py): sub from the token,
email from the service's own table; the Starlette middleware and the dependencies."""
from __future__ import annotations

import jwt
import pytest
from fastapi.testclient import TestClient

from conftest import USERS, control
from gatehouse_verifier import create_verifier
from user_service_fastapi import create_app


@pytest.fixture(scope="module")
def john_sub(tokens):
    return jwt.decode(tokens["john_users"], options={"verify_signature": False})["sub"]


@pytest.fixture(scope="module")
def client(issuer, john_sub):
    verifier = create_verifier(issuer=issuer, audience=USERS)
    return TestClient(create_app(verifier, {john_sub: {"email": "john@test.com"}}))


def test_me_answers_the_sub_of_the_token_and_the_email_the_service_keeps(client, tokens, john_sub):
    answer = client.get("/users/me", headers={"Authorization": f"Bearer {tokens['john_users']}"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"sub": john_sub, "email": "john@test.com"}


def test_the_middleware_refuses_requests_without_a_valid_token_except_health(client, tokens):
    assert client.get("/healthz").status_code == 200
    missing = client.get("/users/me")
    assert (missing.status_code, missing.headers["www-authenticate"]) == (401, 'Bearer realm="https://users.example"')
    assert missing.json() == {"error": "token_missing", "error_description": "no access token was presented"}
    other_audience = client.get("/users/me", headers={"Authorization": f"Bearer {tokens['john_cms']}"})
    assert (other_audience.status_code, other_audience.json()["error"]) == (401, "token_invalid")


def test_dependencies_check_roles_with_the_same_answers(client, tokens, john_sub):
    answer = client.get(f"/users/{john_sub}", headers={"Authorization": f"Bearer {tokens['john_users']}"})
    assert (answer.status_code, answer.json()["error"]) == (403, "insufficient_role")
    assert answer.headers["www-authenticate"].startswith('Bearer realm="https://users.example", error="insufficient_scope"')


def test_503_with_retry_after_when_gatehouse_is_down_and_no_keys_are_cached(issuer, tokens):
    cold = TestClient(create_app(create_verifier(issuer=issuer, audience=USERS), {}))
    control("cut")
    try:
        down = cold.get("/users/me", headers={"Authorization": f"Bearer {tokens['john_users']}"})
    finally:
        control("restore")
    assert (down.status_code, down.headers["retry-after"], down.json()["error"]) == (503, "5", "keys_unavailable")
