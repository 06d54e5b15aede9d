"""create_revocation_feed and client_credentials_token: the twins of revocation-feed.ts. A daemon
thread follows Gatehouse's event feed (``GET /api/v1/events``, JSON pages by cursor) for the
events that take access away, and ``is_revoked`` answers from memory, with no call per token."""
from __future__ import annotations

import base64
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import quote_plus, urlencode

from ._http import UrlOpen, default_urlopen, request_json

# The event types that take access away, as Gatehouse's feed names them.
REVOCATION_TYPES = ("user.blocked", "user.deleted", "session.ended", "grant.revoked", "token.revoked")
PAGE = 1000


def _epoch(iso: str) -> float:
    # Gatehouse writes toISOString() (milliseconds, "Z"); Python before 3.11 does not read "Z".
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class RevocationFeed:
    """An in-memory copy of what Gatehouse has revoked (token ids, grants, blocked or deleted
    users), made by :func:`create_revocation_feed`; give it to
    ``create_verifier(revocations=Revocations(feed))``. One thread writes (the reader); any
    thread may call ``is_revoked``, which only reads single dict entries (atomic in CPython)."""

    def __init__(self, feed_url: str, access_token: Callable[[], str], poll_interval_ms: float, stale_after_ms: float,
                 max_token_lifetime_seconds: float, timeout_ms: float, urlopen: UrlOpen,
                 on_error: Callable[[BaseException], None], clock: Callable[[], float]) -> None:
        self._feed_url = feed_url
        self._access_token = access_token
        self._interval = poll_interval_ms / 1000
        self._stale_after = stale_after_ms / 1000
        self._lifetime = max_token_lifetime_seconds
        self._timeout = timeout_ms / 1000
        self._urlopen = urlopen
        self._on_error = on_error
        self._clock = clock
        # value: until when (epoch seconds) the entry matters
        self._jtis: Dict[str, float] = {}
        self._grants: Dict[str, float] = {}
        # value: (revoked since, epoch seconds; until)
        self._subjects: Dict[str, Tuple[float, float]] = {}
        self._cursor: Optional[str] = None
        self._last_success: Optional[float] = None
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        """Reads the feed until caught up (raises if Gatehouse cannot be read), then keeps reading
        every ``poll_interval_ms`` in a daemon thread."""
        self._stopping.clear()
        self._catch_up()
        self._thread = threading.Thread(target=self._follow, name="gatehouse-revocation-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops reading (the copy then goes stale)."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self._timeout + 1)

    def is_revoked(self, *, jti: str, sub: str, iat: float, grant_id: Optional[str] = None) -> bool:
        """True when the token was revoked: its ``jti``, its grant, or its subject blocked or
        deleted after it was issued."""
        now = self._clock()
        if self._jtis.get(jti, 0) > now:
            return True
        if grant_id is not None and self._grants.get(grant_id, 0) > now:
            return True
        subject = self._subjects.get(sub)
        # Issued in the second of the block or before: refused (an iat is whole seconds).
        return subject is not None and subject[1] > now and iat <= subject[0]

    @property
    def stale(self) -> bool:
        """True before the first full read and when the last successful read is older than ``stale_after_ms``."""
        last = self._last_success
        return last is None or self._clock() - last > self._stale_after

    @property
    def size(self) -> int:
        """How many revocations are remembered now (jti + grants + subjects)."""
        return len(self._jtis) + len(self._grants) + len(self._subjects)

    def _follow(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._catch_up()
            except Exception as error:  # the feed keeps trying; staleness is what callers see
                self._on_error(error)

    def _catch_up(self) -> None:
        started = self._clock()
        while self._read_page() == PAGE:
            pass
        self._last_success = started
        self._sweep(self._clock())

    def _read_page(self) -> int:
        query: Dict[str, Any] = {"types": ",".join(REVOCATION_TYPES), "limit": PAGE}
        if self._cursor is not None:
            query["after"] = self._cursor
        else:
            since = datetime.fromtimestamp(self._clock() - self._lifetime, timezone.utc)
            query["since"] = since.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        page = request_json(self._urlopen, f"{self._feed_url}?{urlencode(query)}", self._timeout,
                            headers={"Authorization": f"Bearer {self._access_token()}"})
        items = page.get("items") if isinstance(page, dict) else None
        if not isinstance(items, list) or not isinstance(page.get("next"), str):
            raise ValueError("the event feed answered an unexpected body")
        for event in items:
            self._apply(event)
        self._cursor = page["next"]
        return len(items)

    def _apply(self, event: Dict[str, Any]) -> None:
        at = _epoch(event["time"])
        data = event.get("data") or {}
        kind = event.get("type")
        forget = at + self._lifetime
        if kind == "token.revoked" and isinstance(data.get("jti"), str):
            exp = data.get("exp")
            self._jtis[data["jti"]] = exp if isinstance(exp, (int, float)) and not isinstance(exp, bool) else forget
        if kind == "grant.revoked" and isinstance(data.get("grant_id"), str):
            self._grants[data["grant_id"]] = forget
        if kind == "session.ended" and isinstance(data.get("grant_ids"), list):
            for grant_id in data["grant_ids"]:
                if isinstance(grant_id, str):
                    self._grants[grant_id] = forget
        if kind in ("user.blocked", "user.deleted") and isinstance(data.get("user_id"), str):
            since = float(int(at))
            known = self._subjects.get(data["user_id"])
            self._subjects[data["user_id"]] = (max(since, known[0] if known else 0), forget)

    def _sweep(self, now: float) -> None:
        for entries in (self._jtis, self._grants):
            for key in [k for k, until in entries.items() if until <= now]:
                del entries[key]
        for key in [k for k, (_, until) in self._subjects.items() if until <= now]:
            del self._subjects[key]


def create_revocation_feed(*, issuer: str, access_token: Callable[[], str], feed_url: Optional[str] = None,
                           poll_interval_ms: float = 1000, stale_after_ms: float = 30_000,
                           max_token_lifetime_seconds: float = 86_400, timeout_ms: float = 5000,
                           urlopen: Optional[UrlOpen] = None,
                           on_error: Callable[[BaseException], None] = lambda error: None,
                           clock: Callable[[], float] = time.time) -> RevocationFeed:
    """Follows Gatehouse's event feed for revocations (the options of the TypeScript
    ``createRevocationFeed`` in snake_case, same units and defaults). ``access_token()`` returns a
    bearer token with the ``events:read`` scope for Gatehouse's API (see
    :func:`client_credentials_token`); it is called before each read, so cache inside it. Each
    entry is kept until the tokens it covers have expired (``max_token_lifetime_seconds``, or a
    revoked token's own ``exp``); the first read reaches back that far. Call ``start()``.

    >>> feed = create_revocation_feed(issuer=ISSUER, access_token=client_credentials_token(
    ...     issuer=ISSUER, client_id="cms-api", client_secret=SECRET, resource=ISSUER + "/api", scope="events:read"))
    >>> feed.start()
    """
    issuer = issuer.rstrip("/")
    return RevocationFeed(feed_url or f"{issuer}/api/v1/events", access_token, poll_interval_ms, stale_after_ms,
                          max_token_lifetime_seconds, timeout_ms, urlopen or default_urlopen, on_error, clock)


def client_credentials_token(*, issuer: str, client_id: str, client_secret: str, resource: str, scope: str,
                             timeout_ms: float = 5000, urlopen: Optional[UrlOpen] = None,
                             clock: Callable[[], float] = time.time) -> Callable[[], str]:
    """A cached client-credentials access token from Gatehouse's token endpoint, fetched again a
    minute before it expires: the ``access_token`` of :func:`create_revocation_feed`. Thread-safe."""
    endpoint = f"{issuer.rstrip('/')}/token"
    # RFC 6749 section 2.3.1: id and secret are form-urlencoded before they are joined.
    basic = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()).decode()
    opener = urlopen or default_urlopen
    lock = threading.Lock()
    current: Dict[str, Any] = {}

    def token() -> str:
        with lock:  # one request at a time; the others then find the fresh token
            if current and current["until"] > clock():
                return current["token"]
            body = request_json(opener, endpoint, timeout_ms / 1000,
                                data=urlencode({"grant_type": "client_credentials", "resource": resource, "scope": scope}).encode(),
                                headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
            if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
                raise ValueError("the token endpoint answered an unexpected body")
            lifetime = body.get("expires_in") if isinstance(body.get("expires_in"), (int, float)) else 300
            current.update(token=body["access_token"], until=clock() + max(0, lifetime - 60))
            return current["token"]

    return token
