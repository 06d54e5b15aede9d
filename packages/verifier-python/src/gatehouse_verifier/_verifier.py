"""create_verifier and Verifier: the twin of create-verifier.ts."""
from __future__ import annotations

import base64
import binascii
import json
import math
import time
from dataclasses import dataclass
from typing import Any, Dict, Literal, Optional
from urllib.parse import urlparse

import jwt
from jwt.api_jws import PyJWS

from ._claims import GatehouseClaims, read_claims
from ._discovery import Discovery
from ._errors import VerifierError
from ._http import UrlOpen, default_urlopen
from ._introspection import Introspection
from ._jwks import KeySet
from ._revocation_feed import RevocationFeed

# RFC 9068 section 2.2: required in every JWT access token.
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub", "client_id", "jti")

_CLAIM_PROBLEMS = {
    "iss": "the access token was issued by another issuer",
    "aud": "the access token is meant for another audience",
    "nbf": "the access token is not valid yet",
}


@dataclass(frozen=True)
class IntrospectionOptions:
    """This service's own confidential client at Gatehouse, for ``introspect`` and ``require_active``.
    ``cache_ms`` is how long an answer is reused for the same token, which is also how late a
    revocation can be noticed."""

    client_id: str
    client_secret: str
    cache_ms: float = 10_000


@dataclass(frozen=True)
class Revocations:
    """Refuse revoked tokens offline: ``feed`` (see :func:`create_revocation_feed`) keeps a copy of
    what Gatehouse revoked (tokens, grants, ended sessions, blocked or deleted users). When the copy
    is stale (Gatehouse unreachable beyond its ``stale_after_ms``), ``when_stale`` decides:
    ``"fail"`` refuses with ``revocations_unavailable`` (503); ``"introspect"`` asks Gatehouse per
    token (needs the ``introspection`` option) until the feed catches up."""

    feed: RevocationFeed
    when_stale: Literal["fail", "introspect"] = "fail"


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _typ_is_at_jwt(typ: Any) -> bool:
    # RFC 9068 section 4 / RFC 8725 section 3.11: compared like jose does, media type prefix optional.
    return isinstance(typ, str) and typ.lower() in ("at+jwt", "application/at+jwt")


class Verifier:
    """A verifier for one issuer and one audience, made by :func:`create_verifier`. Thread-safe;
    create one per process and audience and share it."""

    def __init__(self, issuer: str, audience: str, clock_tolerance: float, jwks_cooldown_ms: float,
                 jwks_cache_max_age_ms: float, timeout_ms: float, introspection: Optional[IntrospectionOptions],
                 urlopen: UrlOpen, revocations: Optional[Revocations] = None) -> None:
        self.issuer = issuer
        self.audience = audience
        self._tolerance = clock_tolerance
        timeout = timeout_ms / 1000
        self._discovery = Discovery(issuer, urlopen, timeout)
        self._keys = KeySet(self._discovery, urlopen, timeout, jwks_cooldown_ms / 1000, jwks_cache_max_age_ms / 1000)
        # The one algorithm, pinned here and never taken from the token: alg none and HS256 "keyed"
        # with the public key are refused before any key is looked up.
        self._jws = PyJWS(algorithms=["RS256"])
        self._introspection: Optional[Introspection] = None
        if introspection is not None:
            self._introspection = Introspection(
                self._introspection_endpoint, introspection.client_id, introspection.client_secret,
                introspection.cache_ms, 10_000, timeout, urlopen,
            )
        self._revocations = revocations

    def verify(self, token: Optional[str]) -> GatehouseClaims:
        """Verifies an access token offline (RS256 signature with a key from Gatehouse's JWKS by
        ``kid``, ``typ`` at+jwt, ``iss``, ``aud``, ``exp``/``nbf`` with tolerance, the RFC 9068 claims)
        and returns its claims. Raises :class:`VerifierError`: ``token_missing``, ``token_invalid``,
        ``token_expired``, ``dpop_required`` (a DPoP-bound token: refused, proofs are not checked
        here yet) or ``keys_unavailable``; with ``revocations``, also ``token_revoked`` and
        ``revocations_unavailable`` (or ``introspection_unavailable`` when it falls back)."""
        if not isinstance(token, str) or token == "":
            raise VerifierError("token_missing", "no access token was presented")
        header = self._header(token)
        if header.get("alg") != "RS256":
            raise VerifierError("token_invalid", "the access token is not signed with RS256")
        kid = header.get("kid")
        # Gatehouse always names its key; a token without one is not Gatehouse's.
        if not isinstance(kid, str) or kid == "":
            raise VerifierError("token_invalid", "the access token names no signing key")
        key = self._keys.get(kid)
        try:
            decoded = self._jws.decode_complete(token, key, algorithms=["RS256"])
        except jwt.InvalidSignatureError as cause:
            raise VerifierError("token_invalid", "the access token signature is invalid") from cause
        except jwt.InvalidTokenError as cause:
            raise VerifierError("token_invalid", "the access token is malformed") from cause
        try:
            payload = json.loads(decoded["payload"])
        except ValueError as cause:
            raise VerifierError("token_invalid", "the access token is malformed") from cause
        if not isinstance(payload, dict):
            raise VerifierError("token_invalid", "the access token is malformed")
        if not _typ_is_at_jwt(header.get("typ")):
            raise VerifierError("token_invalid", "the token is not an access token (typ must be at+jwt)")
        self._check_claims(payload)
        # A DPoP-bound token (RFC 9449: cnf.jkt) is only as good as the proof of its key, which
        # this package does not check yet: refused, never taken as a bearer token.
        cnf = payload.get("cnf")
        if isinstance(cnf, dict) and cnf.get("jkt") is not None:
            raise VerifierError("dpop_required", "the access token is DPoP-bound; this service accepts bearer tokens only")
        claims = read_claims(payload)
        if self._revocations is not None:
            grant_id = payload.get("grant_id")
            self._check_not_revoked(token, claims, grant_id if isinstance(grant_id, str) else None)
        return claims

    def _check_not_revoked(self, token: str, claims: GatehouseClaims, grant_id: Optional[str]) -> None:
        assert self._revocations is not None
        feed = self._revocations.feed
        if feed.stale:
            if self._revocations.when_stale == "fail":
                raise VerifierError("revocations_unavailable", "the list of revoked tokens is out of date")
            if not self.introspect(token):
                raise VerifierError("token_revoked", "the access token has been revoked")
            return
        if feed.is_revoked(jti=claims["jti"], sub=claims["sub"], iat=claims["iat"], grant_id=grant_id):
            raise VerifierError("token_revoked", "the access token has been revoked")

    def introspect(self, token: str) -> bool:
        """Asks Gatehouse whether the token is still active (not revoked, user not blocked,
        membership not suspended); one call per token per ``introspection.cache_ms``. Call it after
        ``verify``. Raises ``introspection_unavailable`` when Gatehouse does not answer, and
        RuntimeError when the verifier was made without ``introspection``."""
        if self._introspection is None:
            raise RuntimeError("introspect: create_verifier was called without the introspection option")
        return self._introspection(token)

    def _introspection_endpoint(self) -> Optional[str]:
        try:
            endpoint = self._discovery().get("introspection_endpoint")
        except VerifierError as cause:
            raise VerifierError("introspection_unavailable", "the token issuer cannot be reached") from cause
        return endpoint if isinstance(endpoint, str) else None

    @staticmethod
    def _header(token: str) -> Dict[str, Any]:
        parts = token.split(".")
        try:
            if len(parts) != 3:
                raise ValueError("not three segments")
            header = json.loads(_b64decode(parts[0]))
        except (ValueError, binascii.Error, UnicodeDecodeError) as cause:
            raise VerifierError("token_invalid", "the access token is malformed") from cause
        if not isinstance(header, dict):
            raise VerifierError("token_invalid", "the access token is malformed")
        return header

    def _check_claims(self, payload: Dict[str, Any]) -> None:
        for claim in REQUIRED_CLAIMS:
            if claim not in payload:
                raise VerifierError("token_invalid", f"the access token lacks the {claim} claim")
        if payload["iss"] != self.issuer:
            raise VerifierError("token_invalid", _CLAIM_PROBLEMS["iss"])
        aud = payload["aud"]
        if not (aud == self.audience or (isinstance(aud, list) and self.audience in aud)):
            raise VerifierError("token_invalid", _CLAIM_PROBLEMS["aud"])
        now = time.time()
        exp = payload["exp"]
        if not isinstance(exp, (int, float)) or isinstance(exp, bool) or not math.isfinite(exp):
            raise VerifierError("token_invalid", "the access token's exp claim is malformed")
        if exp <= now - self._tolerance:
            raise VerifierError("token_expired", "the access token expired")
        nbf = payload.get("nbf")
        if nbf is not None:
            if not isinstance(nbf, (int, float)) or isinstance(nbf, bool):
                raise VerifierError("token_invalid", "the access token's nbf claim is malformed")
            if nbf > now + self._tolerance:
                raise VerifierError("token_invalid", _CLAIM_PROBLEMS["nbf"])


def create_verifier(*, issuer: str, audience: str, clock_tolerance: float = 5, jwks_cooldown_ms: float = 30_000,
                    jwks_cache_max_age_ms: float = 600_000, timeout_ms: float = 5_000,
                    introspection: Optional[IntrospectionOptions] = None,
                    urlopen: Optional[UrlOpen] = None, revocations: Optional[Revocations] = None) -> Verifier:
    """Creates a verifier for Gatehouse access tokens. Nothing is fetched until the first token
    arrives; then discovery is fetched once and the JWKS is cached (``jwks_cache_max_age_ms``) and
    refetched on an unknown ``kid`` at most once per ``jwks_cooldown_ms``, concurrent refetches
    shared. ``timeout_ms`` bounds every request to Gatehouse. ``urlopen(request, timeout)`` replaces
    urllib's for every request to Gatehouse (proxies, tests). ``revocations`` refuses tokens that
    Gatehouse revoked, offline (:class:`Revocations`).

    >>> verifier = create_verifier(issuer="https://id.example.org", audience="https://cms.example")
    """
    parsed = urlparse(issuer) if isinstance(issuer, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise TypeError(f"create_verifier: issuer must be a URL, got {issuer!r}")
    if not isinstance(audience, str) or audience == "":
        raise TypeError(f"create_verifier: audience must be this service's resource URI, got {audience!r}")
    durations = {"clock_tolerance": clock_tolerance, "jwks_cooldown_ms": jwks_cooldown_ms,
                 "jwks_cache_max_age_ms": jwks_cache_max_age_ms, "timeout_ms": timeout_ms,
                 "introspection.cache_ms": introspection.cache_ms if introspection else 0}
    for name, value in durations.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value) or value < 0:
            raise TypeError(f"create_verifier: {name} must be a non-negative number, got {value!r}")
    if not math.isfinite(timeout_ms) or not math.isfinite(clock_tolerance):
        raise TypeError("create_verifier: timeout_ms and clock_tolerance must be finite")
    if introspection is not None and not (isinstance(introspection.client_id, str) and introspection.client_id
                                          and isinstance(introspection.client_secret, str)):
        raise TypeError("create_verifier: introspection needs this service's client_id and client_secret")
    if revocations is not None:
        if revocations.when_stale not in ("fail", "introspect"):
            raise TypeError(f"create_verifier: revocations.when_stale must be 'fail' or 'introspect', got {revocations.when_stale!r}")
        if revocations.when_stale == "introspect" and introspection is None:
            raise TypeError("create_verifier: revocations.when_stale 'introspect' needs the introspection option")
    return Verifier(issuer, audience, clock_tolerance, jwks_cooldown_ms, jwks_cache_max_age_ms, timeout_ms,
                    introspection, urlopen or default_urlopen, revocations)

