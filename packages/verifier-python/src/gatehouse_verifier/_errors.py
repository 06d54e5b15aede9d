"""VerifierError and its stable codes: the twin of @gatehouse/verifier's verifier-error.ts."""
from __future__ import annotations

from typing import Dict, Literal, Optional

VerifierErrorCode = Literal[
    "token_missing",
    "token_invalid",
    "token_expired",
    "token_revoked",
    "dpop_required",
    "insufficient_lab",
    "insufficient_role",
    "insufficient_scope",
    "keys_unavailable",
    "introspection_unavailable",
    "revocations_unavailable",
]

STATUS_OF: Dict[str, int] = {
    "token_missing": 401,
    "token_invalid": 401,
    "token_expired": 401,
    "token_revoked": 401,
    "dpop_required": 401,
    "insufficient_lab": 403,
    "insufficient_role": 403,
    "insufficient_scope": 403,
    "keys_unavailable": 503,
    "introspection_unavailable": 503,
    "revocations_unavailable": 503,
}


class VerifierError(Exception):
    """Every failure of ``verify``, ``introspect`` and the requirements.

    ``code`` is stable (services may switch on it), ``status`` is the HTTP status to answer with
    (401, 403 or 503), ``message`` is a sentence safe to send to the client (never token or key
    material), and ``__cause__`` keeps the underlying PyJWT or network error for logs.
    ``scope`` names the needed scopes for ``insufficient_scope`` (RFC 6750 section 3).
    """

    def __init__(self, code: VerifierErrorCode, message: str, *, scope: Optional[str] = None) -> None:
        if code not in STATUS_OF:
            raise ValueError(f"unknown VerifierError code {code!r}")
        super().__init__(message)
        self.code: VerifierErrorCode = code
        self.status: int = STATUS_OF[code]
        self.message: str = message
        self.scope: Optional[str] = scope

    def __repr__(self) -> str:
        return f"VerifierError({self.code!r}, {self.message!r})"
