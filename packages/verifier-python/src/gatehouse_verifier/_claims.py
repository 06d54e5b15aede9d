"""The claims a service may rely on, each checked for its type (read-claims.ts's twin)."""
from __future__ import annotations

from typing import Any, Dict, List, TypedDict, Union

from ._errors import VerifierError


class _Required(TypedDict):
    iss: str
    aud: Union[str, List[str]]
    sub: str
    client_id: str
    jti: str
    iat: float
    exp: float


class GatehouseClaims(_Required, total=False):
    """The verified claims of a Gatehouse access token (RFC 9068). Only these are returned;
    Gatehouse-internal claims such as ``grant_id`` are dropped so nothing comes to depend on them."""

    scope: str
    lab_id: str
    lab_role: str
    roles: List[str]


def _malformed(claim: str) -> VerifierError:
    return VerifierError("token_invalid", f"the access token's {claim} claim is malformed")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _string(payload: Dict[str, Any], claim: str) -> str:
    value = payload[claim]
    if not isinstance(value, str) or value == "":
        raise _malformed(claim)
    return value


def read_claims(payload: Dict[str, Any]) -> GatehouseClaims:
    aud, roles = payload["aud"], payload.get("roles")
    if not (isinstance(aud, str) or (isinstance(aud, list) and all(isinstance(a, str) for a in aud))):
        raise _malformed("aud")
    if not _number(payload["iat"]):
        raise _malformed("iat")
    if roles is not None and not (isinstance(roles, list) and all(isinstance(r, str) for r in roles)):
        raise _malformed("roles")
    claims: GatehouseClaims = {
        "iss": _string(payload, "iss"),
        "aud": list(aud) if isinstance(aud, list) else aud,
        "sub": _string(payload, "sub"),
        "client_id": _string(payload, "client_id"),
        "jti": _string(payload, "jti"),
        "iat": payload["iat"],
        "exp": payload["exp"],
    }
    # Scope may legitimately be empty in other issuers' tokens; Gatehouse omits it instead.
    if "scope" in payload:
        if not isinstance(payload["scope"], str):
            raise _malformed("scope")
        claims["scope"] = payload["scope"]
    for claim in ("lab_id", "lab_role"):
        if claim in payload:
            claims[claim] = _string(payload, claim)  # type: ignore[literal-required]
    if roles is not None:
        claims["roles"] = list(roles)
    return claims
