"""Fetches <issuer>/.well-known/openid-configuration once and keeps it; failures are not kept."""
from __future__ import annotations

from typing import Any, Dict, Optional

from ._errors import VerifierError
from ._http import UrlOpen, request_json
from ._shared import Coalesced


class Discovery:
    def __init__(self, issuer: str, urlopen: UrlOpen, timeout: float) -> None:
        self._issuer = issuer
        self._url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        self._urlopen = urlopen
        self._timeout = timeout
        self._metadata: Optional[Dict[str, Any]] = None
        self._loading: Coalesced[Dict[str, Any]] = Coalesced()

    def __call__(self) -> Dict[str, Any]:
        metadata = self._metadata
        if metadata is not None:
            return metadata
        return self._loading.run(self._load)

    def _load(self) -> Dict[str, Any]:
        if self._metadata is not None:  # another thread finished while we queued
            return self._metadata
        try:
            body = request_json(self._urlopen, self._url, self._timeout)
        except (OSError, ValueError) as cause:
            raise VerifierError("keys_unavailable", "the token issuer cannot be reached") from cause
        # RFC 8414 section 3.3: metadata naming another issuer must not be used, or a compromised
        # discovery host could point us at someone else's keys.
        if not isinstance(body, dict) or body.get("issuer") != self._issuer or not isinstance(body.get("jwks_uri"), str):
            raise VerifierError("keys_unavailable", "the token issuer published unusable metadata") from ValueError(
                f"discovery at {self._url} does not name issuer {self._issuer!r} and a jwks_uri"
            )
        self._metadata = body
        return body
