"""The Flask case service example (examples/python/case_service_flask.py): lab isolation, lab roles,
scopes, challenges, Gatehouse outages and revocation through introspection."""
from __future__ import annotations

import uuid

import pytest

from case_service_flask import create_app
from conftest import CMS, client_credentials, control, post_form, service_token
from gatehouse_verifier import IntrospectionOptions, create_verifier

NEW_CASE = {"patient_name": "Ann Lee", "case_type": "crown", "doctor": "Dr. Ortega", "product": "zirconia"}


def app_client(issuer: str, **options):
    return create_app(create_verifier(issuer=issuer, audience=CMS, **options)).test_client()


def bearer(token: str):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def client(issuer):
    backend = client_credentials("cms-backend")
    # cache_ms 0: every require_active() asks Gatehouse, so the outage test sees each call.
    introspection = IntrospectionOptions(backend["id"], backend["secret"], cache_ms=0)
    return app_client(issuer, introspection=introspection)


def test_a_case_is_seen_only_in_the_lab_of_the_token_that_created_it(client, tokens):
    created = client.post("/api/cases", json=NEW_CASE, headers=bearer(tokens["john_cms"]))
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    assert case["lab_id"] == "lab-1", "the lab comes from the token"
    assert client.post("/api/cases", json={**NEW_CASE, "lab_id": "lab-2"}, headers=bearer(tokens["john_cms"])).status_code == 400

    def ids(token):
        answer = client.get("/api/cases", headers=bearer(token))
        assert answer.status_code == 200, answer.get_json()
        return [c["id"] for c in answer.get_json()["cases"]]

    assert case["id"] in ids(tokens["mary_lab1_cms"])
    assert case["id"] not in ids(tokens["mary_lab2_cms"])
    assert client.get(f"/api/cases/{case['id']}", headers=bearer(tokens["mary_lab1_cms"])).status_code == 200
    elsewhere = client.get(f"/api/cases/{case['id']}", headers=bearer(tokens["mary_lab2_cms"]))
    never = client.get(f"/api/cases/{uuid.uuid4()}", headers=bearer(tokens["mary_lab2_cms"]))
    assert (elsewhere.status_code, elsewhere.data) == (never.status_code, never.data) == (404, never.data)


def test_lab_roles_and_scopes_decide_and_service_tokens_have_no_lab(client, tokens):
    viewer = client.post("/api/cases", json=NEW_CASE, headers=bearer(tokens["mary_lab2_cms"]))
    assert (viewer.status_code, viewer.get_json()["error"]) == (403, "insufficient_role")
    assert viewer.headers["WWW-Authenticate"].startswith('Bearer realm="https://cms.example", error="insufficient_scope"')
    member_delete = client.delete(f"/api/cases/{uuid.uuid4()}", headers=bearer(tokens["john_cms"]))
    assert (member_delete.status_code, member_delete.get_json()["error"]) == (403, "insufficient_role")
    service = client.get("/api/cases", headers=bearer(service_token()))
    assert (service.status_code, service.get_json()["error"]) == (403, "insufficient_lab")


def test_answers_401_with_a_bearer_challenge_without_or_with_a_bad_token(client, tokens):
    assert client.get("/healthz").status_code == 200
    missing = client.get("/api/cases")
    assert (missing.status_code, missing.headers["WWW-Authenticate"]) == (401, 'Bearer realm="https://cms.example"')
    assert missing.get_json() == {"error": "token_missing", "error_description": "no access token was presented"}
    forged = client.get("/api/cases", headers=bearer(tokens["john_cms"][:-4] + "AAAA"))
    assert forged.status_code == 401 and forged.get_json()["error"] == "token_invalid"
    assert forged.headers["WWW-Authenticate"].startswith('Bearer realm="https://cms.example", error="invalid_token"')
    assert forged.headers["Cache-Control"] == "no-store"


def test_gatehouse_down_with_keys_cached_still_200(issuer, tokens, request):
    cached = app_client(issuer)
    assert cached.get("/api/cases", headers=bearer(tokens["john_cms"])).status_code == 200  # keys fetched
    request.getfixturevalue("gatehouse_down")
    assert cached.get("/api/cases", headers=bearer(tokens["john_cms"])).status_code == 200
    assert cached.get("/api/cases", headers=bearer(tokens["mary_lab1_cms"])).status_code == 200


def test_gatehouse_down_without_cached_keys_503_with_retry_after_then_recovers_without_restart(issuer, tokens):
    cold = app_client(issuer)
    control("cut")
    try:
        down = cold.get("/api/cases", headers=bearer(tokens["john_cms"]))
        assert (down.status_code, down.headers["Retry-After"], down.get_json()["error"]) == (503, "5", "keys_unavailable")
        assert "WWW-Authenticate" not in down.headers, "a 503 does not tell the client its token is bad"
        # Refused on the header alone even now: alg none never waits for keys.
        assert cold.get("/api/cases", headers=bearer("eyJhbGciOiJub25lIn0.e30.")).status_code == 401
    finally:
        control("restore")
    assert cold.get("/api/cases", headers=bearer(tokens["john_cms"])).status_code == 200


def test_require_active_refuses_a_revoked_token_and_fails_closed_when_gatehouse_is_down(client, tokens):
    revocable, other = tokens["mary_lab1_cms_revocable"], tokens["mary_lab1_cms"]
    assert client.delete(f"/api/cases/{uuid.uuid4()}", headers=bearer(revocable)).status_code == 404  # active: passes
    post_form("/token/revocation", {"token": revocable}, "portal")
    assert client.get("/api/cases", headers=bearer(revocable)).status_code == 200, "offline verification cannot see it"
    revoked = client.delete(f"/api/cases/{uuid.uuid4()}", headers=bearer(revocable))
    assert (revoked.status_code, revoked.get_json()["error"]) == (401, "token_invalid")
    assert "revoked" in revoked.get_json()["error_description"]
    assert client.delete(f"/api/cases/{uuid.uuid4()}", headers=bearer(other)).status_code == 404
    control("cut")
    try:
        down = client.delete(f"/api/cases/{uuid.uuid4()}", headers=bearer(other))
        assert (down.status_code, down.get_json()["error"], down.headers["Retry-After"]) == (503, "introspection_unavailable", "5")
    finally:
        control("restore")
