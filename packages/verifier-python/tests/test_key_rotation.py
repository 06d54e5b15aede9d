"""A key rotation at Gatehouse reaches a running verifier without a restart."""
from __future__ import annotations

import time

import jwt

from conftest import CMS, CountingUrlopen, control, service_token
from gatehouse_verifier import create_verifier


def test_a_token_signed_by_a_newly_rotated_key_verifies_without_restart_and_old_tokens_still_do(issuer):
    urlopen = CountingUrlopen()
    # A short cooldown: the rotation below happens less than the default 30 s after the first fetch.
    verifier = create_verifier(issuer=issuer, audience=CMS, jwks_cooldown_ms=150, urlopen=urlopen)
    old = service_token()
    verifier.verify(old)
    fetched_at = time.monotonic()
    assert urlopen.count("/jwks") == 1
    new_kid = control("rotate")["kid"]
    new = service_token()
    assert jwt.get_unverified_header(new)["kid"] == new_kid != jwt.get_unverified_header(old)["kid"]
    # Until the cooldown since the last fetch has passed, a new kid is refused like a forged one
    # (why production rotates with --activate-in 60: services learn the key before it signs).
    time.sleep(max(0.0, 0.15 - (time.monotonic() - fetched_at)))
    assert verifier.verify(new)["sub"] == "cms-backend"
    assert urlopen.count("/jwks") == 2, "the unknown kid fetched the JWKS once"
    verifier.verify(old)
    verifier.verify(new)
    assert urlopen.count("/jwks") == 2
