"""verify() against a real Gatehouse: what it accepts, every tampering it refuses, and the JWKS
fetching rules (cache, cooldown, coalescing)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.request
import uuid
from typing import Any, Dict, Optional

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import CMS, CountingUrlopen, forge, service_token
from gatehouse_verifier import (AuthContext, VerifierError, challenge_for, create_verifier, read_bearer_token,
                                require_lab, require_role, require_scope)


def verifier_for(issuer: str, **options: Any):
    return create_verifier(issuer=issuer, audience=CMS, **options)


def refused(verifier, token: Optional[str], code: str, status: int = 401) -> VerifierError:
    with pytest.raises(VerifierError) as caught:
        verifier.verify(token)
    assert (caught.value.code, caught.value.status) == (code, status), caught.value.message
    return caught.value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with(real_token: str, secret: bytes, claims: Optional[Dict[str, Any]] = None) -> str:
    """The classic key-confusion forgery: HS256 'keyed' with the public key anyone can download."""
    header = {**jwt.get_unverified_header(real_token), "alg": "HS256"}
    payload = {**jwt.decode(real_token, options={"verify_signature": False}), **(claims or {})}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def test_accepts_a_real_service_token_and_returns_only_the_typed_claims(issuer):
    urlopen = CountingUrlopen()
    verifier = verifier_for(issuer, urlopen=urlopen)
    claims = verifier.verify(service_token())
    assert claims["iss"] == issuer and claims["aud"] == CMS
    assert claims["sub"] == claims["client_id"] == "cms-backend"
    assert claims["scope"] == "cases:read" and claims["roles"] == ["manager"]
    assert "lab_id" not in claims and "grant_id" not in claims
    assert claims["exp"] > claims["iat"] and isinstance(claims["jti"], str)
    for _ in range(10):
        verifier.verify(service_token())
    assert urlopen.count("/.well-known/openid-configuration") == 1, "discovery is fetched once"
    assert urlopen.count("/jwks") == 1, "the JWKS is fetched once and cached"


def test_accepts_a_real_user_token_with_lab_and_roles(issuer, tokens):
    claims = verifier_for(issuer).verify(tokens["mary_lab1_cms"])
    assert (claims["lab_id"], claims["lab_role"]) == ("lab-1", "admin")
    assert sorted(claims["roles"]) == ["manager", "technician"]
    assert "cases:write" in claims["scope"].split(" ")


def test_refuses_a_missing_token_and_garbage(issuer):
    verifier = verifier_for(issuer)
    refused(verifier, None, "token_missing")
    refused(verifier, "", "token_missing")
    for garbage in ("abc", "a.b", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30.", b64(b"[]") + ".e30.x"):
        refused(verifier, garbage, "token_invalid")


def test_refuses_a_real_token_whose_payload_was_altered(issuer):
    token = service_token()
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = "cases:read cases:write"
    altered = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    assert refused(verifier_for(issuer), altered, "token_invalid").message == "the access token signature is invalid"


def test_refuses_alg_none_and_hs256_keyed_with_the_public_key_without_fetching_keys(issuer):
    urlopen = CountingUrlopen()
    verifier = verifier_for(issuer, urlopen=urlopen)
    real = service_token()
    payload = jwt.decode(real, options={"verify_signature": False})
    kid = jwt.get_unverified_header(real)["kid"]
    for alg_none in (f"{b64(json.dumps({'alg': 'none', 'typ': 'at+jwt', 'kid': kid}).encode())}.{b64(json.dumps(payload).encode())}.",
                     jwt.encode(payload, None, algorithm="none", headers={"kid": kid, "typ": "at+jwt"})):
        assert refused(verifier, alg_none, "token_invalid").message == "the access token is not signed with RS256"

    with urllib.request.urlopen(issuer + "/jwks", timeout=5) as response:
        jwks = json.load(response)
    public_jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    pem = jwt.algorithms.RSAAlgorithm.from_jwk(public_jwk).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (pem, pem.strip(), json.dumps(public_jwk).encode()):
        refused(verifier, hs256_with(real, secret), "token_invalid")
    assert urlopen.urls == [], "refused on the header alone, before any request to Gatehouse"


def test_refuses_correctly_signed_tokens_with_wrong_audience_issuer_or_type(issuer):
    verifier = verifier_for(issuer)
    real = service_token()
    verifier.verify(forge(real))  # the forging itself is sound: unchanged, it verifies
    cases = [
        (forge(real, {"aud": "https://tts.example"}), "the access token is meant for another audience"),
        (forge(real, {"aud": ["https://tts.example", "https://other.example"]}), "the access token is meant for another audience"),
        (forge(real, {"iss": "https://evil.example"}), "the access token was issued by another issuer"),
        (forge(real, {"iss": issuer + "/"}), "the access token was issued by another issuer"),
        (forge(real, header={"typ": "JWT"}), "the token is not an access token (typ must be at+jwt)"),
        (forge(real, header={"typ": None}), "the token is not an access token (typ must be at+jwt)"),
        (forge(real, {"nbf": int(time.time()) + 60}), "the access token is not valid yet"),
        (forge(real, drop=["client_id"]), "the access token lacks the client_id claim"),
        (forge(real, drop=["jti"]), "the access token lacks the jti claim"),
        (forge(real, {"roles": "manager"}), "the access token's roles claim is malformed"),
        (forge(real, header={"kid": None}), "the access token names no signing key"),
    ]
    for token, message in cases:
        assert refused(verifier, token, "token_invalid").message == message
    # An audience list containing this service is this service's token.
    assert verifier.verify(forge(real, {"aud": [CMS, "https://tts.example"]}))["aud"] == [CMS, "https://tts.example"]


def test_refuses_an_expired_token_beyond_the_clock_tolerance_only(issuer):
    verifier = verifier_for(issuer)  # clock_tolerance 5 s
    real = service_token()
    now = int(time.time())
    assert refused(verifier, forge(real, {"exp": now - 60, "iat": now - 360}), "token_expired").message == "the access token expired"
    refused(verifier, forge(real, {"exp": now - 6}), "token_expired")
    verifier.verify(forge(real, {"exp": now - 2}))  # within 5 s of skew
    refused(verifier_for(issuer, clock_tolerance=0), forge(real, {"exp": now - 2}), "token_expired")


_FOREIGN_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _foreign_token(real: str) -> str:
    """A token signed by a key Gatehouse never published, with a kid nobody has seen."""
    key = _FOREIGN_KEY
    payload = jwt.decode(real, options={"verify_signature": False})
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": uuid.uuid4().hex, "typ": "at+jwt"})


def test_an_unknown_kid_flood_costs_gatehouse_one_jwks_fetch_per_cooldown_with_concurrent_refetches_shared(issuer):
    urlopen = CountingUrlopen()
    # Long enough that the burst below fits inside it on a loaded machine.
    cooldown = 2.0
    verifier = verifier_for(issuer, urlopen=urlopen, jwks_cooldown_ms=cooldown * 1000)
    real = service_token()
    foreign = [_foreign_token(real) for _ in range(3)]
    # 40 threads at once on a cold verifier: one discovery, one JWKS fetch, all refused.
    codes = []
    def attack(i: int) -> None:
        try:
            verifier.verify(foreign[i % 3])
        except VerifierError as error:
            codes.append(error.code)
    threads = [threading.Thread(target=attack, args=(i,)) for i in range(40)]
    fetched_at = time.monotonic()  # no later than the fetch: the bounds below hold for the real fetch time
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == ["token_invalid"] * 40
    assert urlopen.count("/jwks") == 1
    # Within the cooldown: no refetch however many unknown kids arrive.
    for i in range(200):
        refused(verifier, foreign[i % 3], "token_invalid")
    assert time.monotonic() - fetched_at < cooldown, "the loop above ran within the cooldown"
    assert urlopen.count("/jwks") == 1
    verifier.verify(real)  # known kid: unaffected
    # Once the cooldown has passed, an unknown kid fetches once more, and only once.
    deadline = fetched_at + 3 * cooldown
    while urlopen.count("/jwks") == 1 and time.monotonic() < deadline:
        refused(verifier, foreign[0], "token_invalid")
        time.sleep(0.02)
    assert urlopen.count("/jwks") == 2 and time.monotonic() - fetched_at >= cooldown
    for i in range(100):
        refused(verifier, foreign[i % 3], "token_invalid")
    assert urlopen.count("/jwks") == 2
    assert urlopen.count("/.well-known/openid-configuration") == 1


def test_the_default_cooldown_is_30_seconds(issuer):
    urlopen = CountingUrlopen()
    verifier = verifier_for(issuer, urlopen=urlopen)
    real = service_token()
    verifier.verify(real)
    for _ in range(50):
        refused(verifier, _foreign_token(real), "token_invalid")
    assert urlopen.count("/jwks") == 1


def test_requirements_on_real_tokens(issuer, tokens):
    verifier = verifier_for(issuer)

    def context(token: str) -> AuthContext:
        return AuthContext(verifier.verify(token), token, verifier)

    service, john = context(service_token()), context(tokens["john_cms"])
    require_scope("cases:read")(service)
    error = pytest.raises(VerifierError, require_scope("cases:read", "cases:write"), service).value
    assert (error.code, error.status, error.scope) == ("insufficient_scope", 403, "cases:read cases:write")
    require_role("manager")(service)
    assert pytest.raises(VerifierError, require_role("manager"), john).value.code == "insufficient_role"
    assert pytest.raises(VerifierError, require_lab(), service).value.code == "insufficient_lab"
    require_lab()(john)
    require_lab("admin", "member")(john)
    assert pytest.raises(VerifierError, require_lab("admin"), john).value.code == "insufficient_role"
    # A lab admin is not a resource admin, nor the other way round.
    assert pytest.raises(VerifierError, require_role("admin"), context(tokens["mary_lab1_cms"])).value.code == "insufficient_role"


def test_challenges_follow_rfc_6750():
    realm = CMS
    missing = challenge_for(VerifierError("token_missing", "no access token was presented"), realm)
    assert (missing.status, missing.headers["WWW-Authenticate"]) == (401, 'Bearer realm="https://cms.example"')
    assert missing.body == {"error": "token_missing", "error_description": "no access token was presented"}
    expired = challenge_for(VerifierError("token_expired", "the access token expired"), realm)
    assert expired.headers["WWW-Authenticate"] == 'Bearer realm="https://cms.example", error="invalid_token", error_description="the access token expired"'
    scope = challenge_for(VerifierError("insufficient_scope", 'needs "x"\\', scope="cases:write"), realm)
    assert scope.status == 403
    assert scope.headers["WWW-Authenticate"] == "Bearer realm=\"https://cms.example\", error=\"insufficient_scope\", error_description=\"needs 'x''\", scope=\"cases:write\""
    down = challenge_for(VerifierError("keys_unavailable", "the token issuer cannot be reached"), realm, 7)
    assert (down.status, down.headers["Retry-After"], "WWW-Authenticate" in down.headers) == (503, "7", False)


def test_reads_the_bearer_token_from_the_header_or_an_opted_in_cookie():
    assert read_bearer_token("Bearer abc.def-_~+/=") == "abc.def-_~+/="
    assert read_bearer_token("bearer   abc") == "abc"
    assert read_bearer_token("Basic dXNlcjpwYXNz") is None
    assert read_bearer_token(None, "access_token=abc") is None, "cookies only when opted in"
    assert read_bearer_token(None, "a=1; access_token=ab%2Ec; b=2", "access_token") == "ab.c"
    assert read_bearer_token("Bearer hdr", "access_token=cookie", "access_token") == "hdr"
    for bad in ("Bearer", "Bearer a b", "Bearer ä"):
        assert pytest.raises(VerifierError, read_bearer_token, bad).value.code == "token_invalid"


def test_create_verifier_refuses_bad_options():
    for options in ({"issuer": "not a url", "audience": CMS}, {"issuer": "https://id.example", "audience": ""},
                    {"issuer": "https://id.example", "audience": CMS, "jwks_cooldown_ms": -1},
                    {"issuer": "https://id.example", "audience": CMS, "timeout_ms": float("inf")}):
        with pytest.raises(TypeError):
            create_verifier(**options)


def test_refuses_a_dpop_bound_token_presented_as_bearer(issuer):
    """RFC 9449 §7.2: a token bound to a key (cnf.jkt) is refused without a proof of that key."""
    verifier = verifier_for(issuer)
    real = service_token()
    error = refused(verifier, forge(real, {"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}), "dpop_required")
    assert error.status == 401
