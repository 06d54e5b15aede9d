"""Fixtures for the tests against a real Gatehouse. test/python-verifier.test.ts (run by npm test)
starts Gatehouse behind a TCP proxy, obtains user tokens, and runs this suite with:

GATEHOUSE_ISSUER          the issuer (the proxy's URL)
GATEHOUSE_CONTROL         POST /cut, /restore (the proxy: Gatehouse unreachable / back), /rotate (keys)
GATEHOUSE_KEYS_DIR        Gatehouse's key file, to forge tokens signed by the real key with bad claims
GATEHOUSE_TOKENS          JSON: real user access tokens by name
GATEHOUSE_FIXTURE_IMPORT  test/fixtures/import.json: the clients and their secrets
"""
from __future__ import annotations

import base64
import json
import os
import threading
import urllib.request
from typing import Any, Dict, Iterator, List, Optional
from urllib.parse import urlencode

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm

from gatehouse_verifier._http import default_urlopen

CMS = "https://cms.example"
TTS = "https://tts.example"
USERS = "https://users.example"

ISSUER = os.environ.get("GATEHOUSE_ISSUER", "")


@pytest.fixture(scope="session", autouse=True)
def _needs_gatehouse() -> None:
    if not ISSUER:
        pytest.skip("run through test/python-verifier.test.ts (npm test): it starts the Gatehouse these tests use")


@pytest.fixture(scope="session")
def issuer() -> str:
    return ISSUER


@pytest.fixture(scope="session")
def tokens() -> Dict[str, str]:
    return json.loads(os.environ["GATEHOUSE_TOKENS"])


def _client(client_id: str) -> Dict[str, Any]:
    with open(os.environ["GATEHOUSE_FIXTURE_IMPORT"], encoding="utf8") as file:
        return next(c for c in json.load(file)["clients"] if c["client_id"] == client_id)


def client_credentials(client_id: str) -> Dict[str, str]:
    client = _client(client_id)
    return {"id": client["client_id"], "secret": client["client_secret"]}


def post_form(path: str, form: Dict[str, str], client_id: str) -> Dict[str, Any]:
    client = client_credentials(client_id)
    basic = base64.b64encode(f"{client['id']}:{client['secret']}".encode()).decode()
    request = urllib.request.Request(ISSUER + path, data=urlencode(form).encode(),
                                     headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else {}


def service_token(client_id: str = "cms-backend", resource: str = CMS, scope: str = "cases:read") -> str:
    """A real client_credentials access token from Gatehouse."""
    return post_form("/token", {"grant_type": "client_credentials", "resource": resource, "scope": scope}, client_id)["access_token"]


def control(action: str) -> Dict[str, Any]:
    request = urllib.request.Request(os.environ["GATEHOUSE_CONTROL"] + "/" + action, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.load(response)


@pytest.fixture
def gatehouse_down() -> Iterator[None]:
    """Gatehouse unreachable (connections to the issuer are refused) for the test's duration."""
    control("cut")
    try:
        yield
    finally:
        control("restore")


def private_key_of(kid: str) -> Any:
    with open(os.path.join(os.environ["GATEHOUSE_KEYS_DIR"], "jwks.json"), encoding="utf8") as file:
        jwk = next(k for k in json.load(file)["keys"] if k["kid"] == kid)
    return RSAAlgorithm.from_jwk(jwk)


def forge(real_token: str, claims: Optional[Dict[str, Any]] = None, header: Optional[Dict[str, Any]] = None,
          drop: List[str] = ()) -> str:  # type: ignore[assignment]
    """``real_token``'s payload with ``claims`` changed (``drop`` removed), signed with Gatehouse's
    real private key: a token whose only fault is the change."""
    payload = jwt.decode(real_token, options={"verify_signature": False})
    payload.update(claims or {})
    for name in drop:
        payload.pop(name, None)
    real_header = jwt.get_unverified_header(real_token)
    fields = {"kid": real_header["kid"], "typ": "at+jwt", **(header or {})}
    fields = {k: v for k, v in fields.items() if v is not None}
    return jwt.encode(payload, private_key_of(real_header["kid"]), algorithm="RS256", headers=fields)


class CountingUrlopen:
    """The verifier's ``urlopen`` option: the real urllib call, with every URL recorded."""

    def __init__(self) -> None:
        self.urls: List[str] = []
        self._lock = threading.Lock()

    def __call__(self, request: urllib.request.Request, timeout: float) -> Any:
        with self._lock:
            self.urls.append(request.full_url)
        return default_urlopen(request, timeout)

    def count(self, suffix: str) -> int:
        with self._lock:
            return sum(1 for url in self.urls if url.endswith(suffix))
