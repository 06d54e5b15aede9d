"""Per-route requirements shared by every adapter (require-*.ts's twins)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from ._claims import GatehouseClaims
from ._errors import VerifierError

if TYPE_CHECKING:
    from ._verifier import Verifier


@dataclass(frozen=True)
class AuthContext:
    """What a requirement sees: the verified claims, the raw token (for introspection) and the
    verifier that checked it."""

    claims: GatehouseClaims
    token: str
    verifier: "Verifier"


# Returns when the request may proceed; raises VerifierError (usually a 403 code) when not.
Requirement = Callable[[AuthContext], None]


def require_scope(scope: str, *more: str) -> Requirement:
    """Every given scope must be in ``scope``; else 403 ``insufficient_scope`` naming them."""
    needed = [scope, *more]

    def check(auth: AuthContext) -> None:
        granted = set(auth.claims.get("scope", "").split(" "))
        if not all(s in granted for s in needed):
            raise VerifierError("insufficient_scope", f"this request needs scope {' '.join(needed)}", scope=" ".join(needed))

    return check


def require_lab(*lab_roles: str) -> Requirement:
    """The token must act in a lab (``lab_id``) and, when lab roles are given, ``lab_role`` must be
    one of them (exact match, no hierarchy). 403 ``insufficient_lab`` / ``insufficient_role``.
    Service (client_credentials) tokens carry no lab and never pass."""
    allowed = list(lab_roles)

    def check(auth: AuthContext) -> None:
        if "lab_id" not in auth.claims:
            raise VerifierError("insufficient_lab", "this request needs a token acting in a lab")
        if allowed and auth.claims.get("lab_role") not in allowed:
            raise VerifierError("insufficient_role", f"this request needs lab role {' or '.join(allowed)}")

    return check


def require_role(role: str) -> Requirement:
    """``role`` must be in ``roles`` (roles on this resource). Never looks at ``lab_role``: a
    resource role called admin and lab membership admin are different grants. 403 ``insufficient_role``."""

    def check(auth: AuthContext) -> None:
        if role not in auth.claims.get("roles", []):
            raise VerifierError("insufficient_role", f"this request needs the {role} role")

    return check


def require_active() -> Requirement:
    """Gatehouse must still consider the token active, by introspection (cached
    ``introspection.cache_ms``): a revoked token, blocked user or suspended membership is refused
    before the token expires. Needs the verifier's ``introspection`` option. 401 ``token_invalid``
    when inactive, 503 ``introspection_unavailable`` when Gatehouse does not answer (fail closed)."""

    def check(auth: AuthContext) -> None:
        if not auth.verifier.introspect(auth.token):
            raise VerifierError("token_invalid", "the access token has been revoked or is no longer active")

    return check


def check_requirements(auth: AuthContext, requirements: Iterable[Requirement]) -> None:
    # In order, so cheap local checks listed first spare an introspection call.
    for requirement in requirements:
        requirement(auth)
