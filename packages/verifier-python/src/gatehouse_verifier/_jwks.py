"""Gatehouse's signing keys: fetched from jwks_uri, cached, refetched on an unknown kid at most
once per cooldown, concurrent refetches coalesced. The same rules as jose's remote key set, which
the TypeScript verifier uses. Not PyJWKClient: its constructor differs across PyJWT versions and it
refetches on every unknown kid."""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Tuple

from jwt.algorithms import RSAAlgorithm

from ._discovery import Discovery
from ._errors import VerifierError
from ._http import UrlOpen, request_json
from ._shared import Coalesced

# kid -> public key, or None when the JWKS lists that kid twice (ambiguous: refused).
Keys = Dict[str, Optional[Any]]


def parse_jwks(body: Any) -> Keys:
    if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
        raise ValueError("the JWKS has no keys array")
    keys: Keys = {}
    for jwk in body["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
            continue
        kid = jwk["kid"]
        keys[kid] = None if kid in keys else RSAAlgorithm.from_jwk(jwk)
    return keys


class KeySet:
    def __init__(self, discovery: Discovery, urlopen: UrlOpen, timeout: float, cooldown: float, max_age: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._discovery = discovery
        self._urlopen = urlopen
        self._timeout = timeout
        self._cooldown = cooldown
        self._max_age = max_age
        self._clock = clock
        # (keys, fetched at): replaced as a whole, so readers need no lock.
        self._cache: Optional[Tuple[Keys, float]] = None
        self._reloading: Coalesced[Tuple[Keys, float]] = Coalesced()

    def get(self, kid: str) -> Any:
        cache = self._cache
        now = self._clock()
        if cache is None or now - cache[1] >= self._max_age:
            cache = self._reload(cache)
        elif kid not in cache[0] and now - cache[1] >= self._cooldown:
            cache = self._reload(cache)
        if kid not in cache[0]:
            raise VerifierError("token_invalid", "the access token is signed with an unknown key")
        key = cache[0][kid]
        if key is None:
            raise VerifierError("token_invalid", "the access token is signed with an unknown key")
        return key

    def _reload(self, seen: Optional[Tuple[Keys, float]]) -> Tuple[Keys, float]:
        def work() -> Tuple[Keys, float]:
            current = self._cache
            # A caller queued behind a fetch that just finished uses its keys instead of fetching again.
            if current is not seen and current is not None and self._clock() - current[1] < self._cooldown:
                return current
            jwks_uri = self._discovery()["jwks_uri"]
            try:
                keys = parse_jwks(request_json(self._urlopen, jwks_uri, self._timeout))
            except Exception as cause:  # network, timeout, non-200, unparsable: Gatehouse's problem, not the token's
                raise VerifierError("keys_unavailable", "the token issuer signing keys cannot be fetched") from cause
            fresh = (keys, self._clock())
            self._cache = fresh
            return fresh

        return self._reloading.run(work)
