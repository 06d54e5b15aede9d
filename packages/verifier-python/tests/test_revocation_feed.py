"""Offline verification honouring revocation (issue 9 item 7): the revocation feed thread against
a real Gatehouse (examples/python/offline_revocation.py), and its bookkeeping with a fake feed."""
from __future__ import annotations

import io
import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from conftest import CMS, client_credentials, post_form, service_token
from gatehouse_verifier import (IntrospectionOptions, VerifierError, client_credentials_token, create_revocation_feed,
                                create_verifier, challenge_for)
from gatehouse_verifier._http import default_urlopen
from offline_revocation import verifier_honouring_revocations

ROOT = Path(__file__).resolve().parents[3]
OPS = client_credentials("ops-service")
# Long enough that a loaded test machine's reads (every 50 ms) keep the copy fresh while reachable.
STALE_MS = 1500


def until(condition: Callable[[], bool], seconds: float) -> float:
    """Waits for condition; how long it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.02)
    return time.monotonic() - started


def refused_within(verify: Callable[[], Any], seconds: float) -> Dict[str, Any]:
    """Verifies until the verifier refuses; the error and how long it took."""
    started = time.monotonic()
    while True:
        try:
            verify()
        except VerifierError as error:
            return {"error": error, "seconds": time.monotonic() - started}
        assert time.monotonic() - started < seconds, f"still accepted after {seconds} s"
        time.sleep(0.025)


def management(issuer: str, method: str, path: str, body: Any = None) -> Dict[str, Any]:
    token = client_credentials_token(issuer=issuer, client_id=OPS["id"], client_secret=OPS["secret"],
                                     resource=f"{issuer}/api", scope="users:read users:write")()
    request = urllib.request.Request(f"{issuer}/api/v1{path}", method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_a_revoked_token_then_a_blocked_users_token_are_refused_offline_within_5_seconds(issuer, tokens):
    calls: List[str] = []

    def counting(request, timeout):
        calls.append(request.full_url)
        return default_urlopen(request, timeout)

    verifier = verifier_honouring_revocations(issuer, CMS, OPS["id"], OPS["secret"], poll_interval_ms=200, urlopen=counting)
    first, second = tokens["pia_cms_first"], tokens["pia_cms_second"]
    try:
        assert verifier.verify(first)["sub"] == verifier.verify(second)["sub"]
        before = len(calls)
        for _ in range(50):
            verifier.verify(second)
        assert [url for url in calls[before:] if "/api/v1/events?" not in url] == [], "no call to Gatehouse per request, only the feed's own reads"

        post_form("/token/revocation", {"token": first}, "portal")
        revoked = refused_within(lambda: verifier.verify(first), 5)
        assert (revoked["error"].code, revoked["error"].status) == ("token_revoked", 401)
        assert challenge_for(revoked["error"], CMS).headers["WWW-Authenticate"].startswith('Bearer realm="https://cms.example", error="invalid_token"')
        verifier.verify(second)

        pia = next(u for u in management(issuer, "GET", "/users?q=pia")["items"] if u["username"] == "pia")
        management(issuer, "POST", f"/users/{pia['id']}/block", {"reason": "offboarded"})
        try:
            blocked = refused_within(lambda: verifier.verify(second), 5)
            assert blocked["error"].code == "token_revoked"
        finally:
            management(issuer, "POST", f"/users/{pia['id']}/restore")
        print(f"refused {revoked['seconds'] * 1000:.0f} ms after the revocation, {blocked['seconds'] * 1000:.0f} ms after the block")
        # Restoring brings nothing back.
        time.sleep(0.5)
        assert pytest.raises(VerifierError, verifier.verify, second).value.code == "token_revoked"
    finally:
        verifier._revocations.feed.stop()  # type: ignore[union-attr]


def test_a_stale_copy_fails_closed_with_503_or_falls_back_to_introspection(issuer):
    reachable = {"feed": True}

    def flaky(request, timeout):
        if "/api/v1/events" in request.full_url and not reachable["feed"]:
            raise OSError("unreachable")
        return default_urlopen(request, timeout)

    backend = client_credentials("cms-backend")
    failing = verifier_honouring_revocations(issuer, CMS, OPS["id"], OPS["secret"], poll_interval_ms=50, stale_after_ms=STALE_MS, urlopen=flaky)
    falling = verifier_honouring_revocations(issuer, CMS, OPS["id"], OPS["secret"], IntrospectionOptions(backend["id"], backend["secret"], cache_ms=0),
                                             poll_interval_ms=50, stale_after_ms=STALE_MS, urlopen=flaky)
    feeds = [failing._revocations.feed, falling._revocations.feed]  # type: ignore[union-attr]
    try:
        token = service_token()
        failing.verify(token)
        reachable["feed"] = False
        until(lambda: all(feed.stale for feed in feeds), 5)
        error = pytest.raises(VerifierError, failing.verify, token).value
        assert (error.code, error.status) == ("revocations_unavailable", 503)
        assert challenge_for(error, CMS).headers["Retry-After"] == "5"
        falling.verify(token)
        post_form("/token/revocation", {"token": token}, "cms-backend")
        assert pytest.raises(VerifierError, falling.verify, token).value.code == "token_revoked"
        reachable["feed"] = True
        until(lambda: not any(feed.stale for feed in feeds), 5)
        falling.verify(service_token())
    finally:
        for feed in feeds:
            feed.stop()


def test_introspect_when_stale_needs_the_introspection_option(issuer):
    from gatehouse_verifier import Revocations
    feed = create_revocation_feed(issuer=issuer, access_token=lambda: "unused")
    with pytest.raises(TypeError, match="introspection"):
        create_verifier(issuer=issuer, audience=CMS, revocations=Revocations(feed, when_stale="introspect"))


class FakeFeed:
    """Answers the feed's reads from a list of events (one page), like Gatehouse would."""

    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []
        self.queries: List[str] = []

    def __call__(self, request, timeout):
        self.queries.append(request.full_url)
        after = int(dict(p.split("=", 1) for p in request.full_url.split("?", 1)[1].split("&")).get("after", "0"))
        items = [e for e in self.events if int(e["cursor"]) > after]
        body = {"items": items, "next": items[-1]["cursor"] if items else str(after)}
        response = io.BytesIO(json.dumps(body).encode())
        response.status = 200  # type: ignore[attr-defined]
        return response

    def add(self, kind: str, at: float, **data: Any) -> None:
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"
        self.events.append({"type": kind, "time": iso, "data": data, "cursor": str(len(self.events) + 1)})


def test_entries_are_kept_until_the_tokens_they_cover_expire_and_the_first_read_reaches_back_one_lifetime():
    now = {"t": 1_800_000_000.0}
    fake = FakeFeed()
    fake.add("token.revoked", now["t"], jti="j1", exp=now["t"] + 60)
    fake.add("grant.revoked", now["t"], grant_id="g1")
    fake.add("session.ended", now["t"], grant_ids=["g2", 7])
    fake.add("user.blocked", now["t"] + 0.7, user_id="u1")
    feed = create_revocation_feed(issuer="https://id.example.org/", access_token=lambda: "t", urlopen=fake,
                                  max_token_lifetime_seconds=600, stale_after_ms=1000, clock=lambda: now["t"])
    assert feed.stale
    feed._catch_up()  # what start() does first, without the thread
    assert "since=2027-01-15T07%3A50%3A00.000Z" in fake.queries[0] and "types=user.blocked%2Cuser.deleted" in fake.queries[0]
    assert not feed.stale and feed.size == 4
    assert feed.is_revoked(jti="j1", sub="x", iat=0)
    assert feed.is_revoked(jti="x", sub="x", iat=0, grant_id="g1") and feed.is_revoked(jti="x", sub="x", iat=0, grant_id="g2")
    # Issued in the second of the block or before: refused; issued after: accepted.
    assert feed.is_revoked(jti="x", sub="u1", iat=now["t"]) and not feed.is_revoked(jti="x", sub="u1", iat=now["t"] + 1)
    now["t"] += 61  # the revoked token expired: forgotten; the rest is kept one lifetime
    feed._catch_up()
    assert "after=4" in fake.queries[-1]
    assert not feed.is_revoked(jti="j1", sub="x", iat=0) and feed.size == 3
    now["t"] += 1.5  # no successful read for longer than stale_after_ms
    assert feed.stale
    now["t"] += 600
    feed._catch_up()
    assert feed.size == 0 and not feed.is_revoked(jti="x", sub="u1", iat=0)


def test_the_readme_recipe_runs(issuer):
    readme = (ROOT / "packages/verifier-python/README.md").read_text(encoding="utf8")
    recipe = re.search(r"^## Revocation feed\n.*?^```python\n(.*?)^```$", readme, flags=re.DOTALL | re.MULTILINE).group(1)
    scope: Dict[str, Any] = {"ISSUER": issuer, "FEED_CLIENT_ID": OPS["id"], "FEED_CLIENT_SECRET": OPS["secret"]}
    exec(recipe, scope)  # noqa: S102 - the README's own code, run as written
    try:
        assert not scope["feed"].stale
        assert scope["verifier"].verify(service_token())["client_id"] == "cms-backend"
    finally:
        scope["feed"].stop()
