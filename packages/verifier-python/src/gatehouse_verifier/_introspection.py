"""RFC 7662 introspection answering only ``active``, with a short bounded cache keyed by the token's
hash (raw bearer tokens are not kept). Concurrent requests for one token share one call; failures
are not cached. The twin of introspection.ts."""
from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import OrderedDict
from typing import Callable, Optional, Tuple
from urllib.parse import quote_plus, urlencode

from ._errors import VerifierError
from ._http import UrlOpen, request_json
from ._shared import Coalesced


class Introspection:
    def __init__(self, endpoint: Callable[[], Optional[str]], client_id: str, client_secret: str, cache_ms: float,
                 max_entries: int, timeout: float, urlopen: UrlOpen, clock: Callable[[], float] = time.monotonic) -> None:
        self._endpoint = endpoint
        # RFC 6749 section 2.3.1: id and secret are form-urlencoded before they are joined.
        credentials = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
        self._authorization = "Basic " + base64.b64encode(credentials).decode()
        self._ttl = cache_ms / 1000
        self._max_entries = max_entries
        self._timeout = timeout
        self._urlopen = urlopen
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: "OrderedDict[str, Tuple[float, bool]]" = OrderedDict()
        self._asking: "dict[str, Coalesced[bool]]" = {}

    def __call__(self, token: str) -> bool:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        with self._lock:
            hit = self._answers.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
            asking = self._asking.setdefault(key, Coalesced())
        try:
            active = asking.run(lambda: self._ask(token, key))
        finally:
            with self._lock:
                self._asking.pop(key, None)
        return active

    def _ask(self, token: str, key: str) -> bool:
        with self._lock:  # answered while this thread queued
            hit = self._answers.get(key)
            if hit is not None and hit[0] > self._clock():
                return hit[1]
        endpoint = self._endpoint()
        if not endpoint:
            raise VerifierError("introspection_unavailable", "the token issuer publishes no introspection endpoint")
        try:
            body = request_json(self._urlopen, endpoint, self._timeout,
                                data=urlencode({"token": token, "token_type_hint": "access_token"}).encode(),
                                headers={"Authorization": self._authorization, "Content-Type": "application/x-www-form-urlencoded"})
        except (OSError, ValueError) as cause:
            # A 401 here means our own client credentials are wrong: still "cannot tell", never "inactive".
            raise VerifierError("introspection_unavailable", "the token issuer cannot confirm the access token") from cause
        active = body.get("active") if isinstance(body, dict) else None
        if not isinstance(active, bool):
            raise VerifierError("introspection_unavailable", "the token issuer cannot confirm the access token")
        if self._ttl > 0:
            with self._lock:
                now = self._clock()
                if len(self._answers) >= self._max_entries:
                    for stale in [k for k, (until, _) in self._answers.items() if until <= now]:
                        del self._answers[stale]
                    while len(self._answers) >= self._max_entries:  # then the oldest
                        self._answers.popitem(last=False)
                self._answers[key] = (now + self._ttl, active)
        return active
