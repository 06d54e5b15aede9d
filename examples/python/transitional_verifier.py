"""Step 1 of moving a service off the shared HS256 secret (docs/INTEGRATION.md, "Migrating from
the shared HS256 secret"): two strictly separate paths chosen by the header's alg. RS256 goes to
the Gatehouse verifier (RS256 only, JWKS keys only); HS256 to the legacy check (HS256 only, the
legacy secret only, the legacy issuer). Delete the HS256 path and the secret in step 3."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import jwt

from gatehouse_verifier import GatehouseClaims, Verifier, VerifierError


class TransitionalVerifier(Verifier):
    def __init__(self, gatehouse: Verifier, legacy_secret: Optional[str], legacy_issuer: str,
                 on_legacy_accepted: Callable[[], None] = lambda: None) -> None:
        self.__dict__.update(gatehouse.__dict__)  # issuer, audience, keys, introspection: Gatehouse's
        self._legacy_secret = legacy_secret
        self._legacy_issuer = legacy_issuer
        self._on_legacy_accepted = on_legacy_accepted  # step 2 watches this count reach zero

    def verify(self, token: Optional[str]) -> GatehouseClaims:
        try:
            alg = jwt.get_unverified_header(token).get("alg") if token else None
        except jwt.DecodeError:
            alg = None  # malformed: let the Gatehouse path produce the 401
        if alg != "HS256" or not self._legacy_secret:
            return super().verify(token)  # RS256 + JWKS only
        try:
            # HS256 only, the shared secret only: never an RSA key.
            legacy = jwt.decode(token, self._legacy_secret, algorithms=["HS256"], issuer=self._legacy_issuer,
                                options={"require": ["exp", "iss"], "verify_aud": False}, leeway=5)
        except jwt.ExpiredSignatureError as error:
            raise VerifierError("token_expired", "the access token expired") from error
        except jwt.InvalidTokenError as error:
            raise VerifierError("token_invalid", "the access token is invalid") from error
        self._on_legacy_accepted()
        return map_legacy_claims(legacy)


def map_legacy_claims(legacy: Dict[str, Any]) -> GatehouseClaims:
    """The legacy token's claims under Gatehouse's names, so requirements work unchanged."""
    claims: GatehouseClaims = {"iss": legacy["iss"], "aud": legacy.get("aud", ""), "sub": str(legacy["user_id"]),
                               "client_id": "legacy", "jti": str(legacy.get("jti", "")), "iat": legacy.get("iat", 0),
                               "exp": legacy["exp"], "roles": [legacy["role"]] if "role" in legacy else []}
    if "lab_id" in legacy:
        claims["lab_id"] = str(legacy["lab_id"])
        claims["lab_role"] = str(legacy.get("lab_role", "member"))
    return claims
