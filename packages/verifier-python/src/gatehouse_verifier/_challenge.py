"""The HTTP answer to a VerifierError, framework-neutral (challenge.ts's twin)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict

from ._errors import VerifierError


@dataclass(frozen=True)
class Challenge:
    status: int
    headers: Dict[str, str]
    body: Dict[str, str]


def _quote(value: str) -> str:
    # RFC 6750 section 3: quoted values may not contain '"' or '\'; our texts never do, this is a
    # backstop for custom requirements' messages.
    return '"' + re.sub(r"[^\x20-\x7e]", "?", re.sub(r'["\\]', "'", value)) + '"'


def challenge_for(error: VerifierError, realm: str, retry_after_seconds: int = 5) -> Challenge:
    """The body's ``error`` is the verifier's stable code (finer than RFC 6750's: a client can tell
    expired from invalid); WWW-Authenticate carries the RFC 6750 code: none for a missing token,
    ``invalid_token`` for 401, ``insufficient_scope`` for 403. 503 gets Retry-After instead."""
    body = {"error": error.code, "error_description": error.message}
    headers = {"Cache-Control": "no-store"}
    if error.status == 503:
        headers["Retry-After"] = str(retry_after_seconds)
        return Challenge(503, headers, body)
    params = [f"realm={_quote(realm)}"]
    if error.code != "token_missing":
        params.append(f"error={_quote('insufficient_scope' if error.status == 403 else 'invalid_token')}")
        params.append(f"error_description={_quote(error.message)}")
        if error.scope:
            params.append(f"scope={_quote(error.scope)}")
    headers["WWW-Authenticate"] = "Bearer " + ", ".join(params)
    return Challenge(error.status, headers, body)
