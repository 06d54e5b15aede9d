"""The Django ticket service example (examples/python/ticket_service_django): the Technician role on
TTS, the access_token cookie, and the middleware's answers."""
from __future__ import annotations

import os

import pytest

from conftest import ISSUER, service_token


@pytest.fixture(scope="module")
def client():
    os.environ["ISSUER"] = ISSUER  # read by ticket_service_django.auth
    os.environ["DJANGO_SETTINGS_MODULE"] = "ticket_service_django.settings"
    import django
    from django.test import Client

    django.setup()
    return Client()


def test_a_technician_on_tts_sees_the_assigned_tickets(client, tokens):
    answer = client.get("/tickets/assigned", HTTP_AUTHORIZATION=f"Bearer {tokens['john_tts']}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["technician"] and body["tickets"][0]["id"] == "T-1"


def test_a_user_without_the_technician_role_gets_403(client, tokens):
    answer = client.get("/tickets/assigned", HTTP_AUTHORIZATION=f"Bearer {tokens['mary_tts']}")
    assert (answer.status_code, answer.json()["error"]) == (403, "insufficient_role")
    assert answer["WWW-Authenticate"] == ('Bearer realm="https://tts.example", error="insufficient_scope", '
                                          'error_description="this request needs the Technician role"')


def test_the_token_may_come_from_the_access_token_cookie(client, tokens):
    client.cookies["access_token"] = tokens["john_tts"]
    try:
        assert client.get("/tickets/assigned").status_code == 200
    finally:
        del client.cookies["access_token"]


def test_no_token_is_401_on_protected_views_only_and_a_bad_token_is_refused_by_the_middleware(client, tokens):
    assert client.get("/healthz").status_code == 200
    missing = client.get("/tickets/assigned")
    assert (missing.status_code, missing["WWW-Authenticate"]) == (401, 'Bearer realm="https://tts.example"')
    # A CMS token is a valid Gatehouse token, but not for TTS.
    wrong_audience = client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {tokens['john_cms']}")
    assert (wrong_audience.status_code, wrong_audience.json()["error"]) == (401, "token_invalid")
    tts_service = service_token("tts-backend", "https://tts.example", "tickets:read")
    no_role = client.get("/tickets/assigned", HTTP_AUTHORIZATION=f"Bearer {tts_service}")
    assert (no_role.status_code, no_role.json()["error"]) == (403, "insufficient_role")
