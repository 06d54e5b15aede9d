"""The framework-neutral core of every adapter (authenticate.ts's twin)."""
from __future__ import annotations

from typing import Optional, Sequence

from ._bearer import read_bearer_token
from ._challenge import Challenge, challenge_for
from ._errors import VerifierError
from ._requirements import AuthContext, Requirement, check_requirements
from ._verifier import Verifier


class Authenticator:
    """Verifies a request's token and applies requirements. ``cookie_name`` also accepts the token
    from that cookie when there is no Authorization header: off by default, since browsers send
    cookies on cross-site requests (use it only with a SameSite=Strict, HttpOnly cookie, or CSRF
    protection). ``realm`` defaults to the audience; ``retry_after_seconds`` goes with 503."""

    def __init__(self, verifier: Verifier, *, cookie_name: Optional[str] = None, realm: Optional[str] = None,
                 retry_after_seconds: int = 5) -> None:
        self.verifier = verifier
        self.cookie_name = cookie_name
        self.realm = realm if realm is not None else verifier.audience
        self.retry_after_seconds = retry_after_seconds

    def authenticate(self, authorization: Optional[str], cookie: Optional[str],
                     requirements: Sequence[Requirement] = ()) -> AuthContext:
        """The AuthContext of a request, or VerifierError."""
        token = read_bearer_token(authorization, cookie, self.cookie_name)
        claims = self.verifier.verify(token)
        auth = AuthContext(claims, token, self.verifier)  # type: ignore[arg-type]  # verify refused None
        check_requirements(auth, requirements)
        return auth

    def challenge(self, error: VerifierError) -> Challenge:
        return challenge_for(error, self.realm, self.retry_after_seconds)
