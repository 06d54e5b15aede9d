"""The migration example (examples/python/transitional_verifier.py): legacy HS256 tokens pass only
with the legacy secret; nothing keyed with Gatehouse's public key ever does."""
from __future__ import annotations

import json
import time
import urllib.request

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from conftest import CMS, service_token
from gatehouse_verifier import VerifierError, create_verifier
from test_verifier import hs256_with
from transitional_verifier import TransitionalVerifier

SECRET = "legacy-shared-secret-of-at-least-32-bytes"


@pytest.fixture(scope="module")
def verifier(issuer):
    accepted = []
    transitional = TransitionalVerifier(create_verifier(issuer=issuer, audience=CMS), SECRET, "cms-legacy", lambda: accepted.append(1))
    transitional.accepted = accepted  # type: ignore[attr-defined]
    return transitional


def legacy_token(**claims):
    return jwt.encode({"iss": "cms-legacy", "user_id": 42, "lab_id": 7, "exp": int(time.time()) + 60, **claims}, SECRET, algorithm="HS256")


def test_gatehouse_tokens_take_the_gatehouse_path_and_legacy_tokens_the_legacy_one(verifier):
    assert verifier.verify(service_token())["client_id"] == "cms-backend"
    claims = verifier.verify(legacy_token())
    assert (claims["sub"], claims["lab_id"], claims["client_id"]) == ("42", "7", "legacy")
    assert verifier.accepted == [1]


def test_refuses_legacy_tokens_with_another_secret_issuer_or_no_expiry_and_expired_ones(verifier):
    assert pytest.raises(VerifierError, verifier.verify, jwt.encode({"iss": "cms-legacy", "user_id": 1, "exp": int(time.time()) + 60}, "x" * 40, algorithm="HS256")).value.code == "token_invalid"
    assert pytest.raises(VerifierError, verifier.verify, legacy_token(iss="elsewhere")).value.code == "token_invalid"
    no_exp = jwt.encode({"iss": "cms-legacy", "user_id": 1}, SECRET, algorithm="HS256")
    assert pytest.raises(VerifierError, verifier.verify, no_exp).value.code == "token_invalid"
    assert pytest.raises(VerifierError, verifier.verify, legacy_token(exp=int(time.time()) - 60)).value.code == "token_expired"


def test_hs256_keyed_with_gatehouses_public_key_is_refused(verifier, issuer):
    real = service_token()
    with urllib.request.urlopen(issuer + "/jwks", timeout=5) as response:
        public_jwk = next(k for k in json.load(response)["keys"] if k["kid"] == jwt.get_unverified_header(real)["kid"])
    pem = jwt.algorithms.RSAAlgorithm.from_jwk(public_jwk).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (pem, json.dumps(public_jwk).encode()):
        assert pytest.raises(VerifierError, verifier.verify, hs256_with(real, secret, {"iss": "cms-legacy"})).value.code == "token_invalid"
