"""Flask adapter: ``GatehouseAuth(verifier).required(*requirements)`` decorates a view; the
verified claims are on ``flask.g.auth`` (the AuthContext on ``flask.g.gatehouse``).

>>> auth = GatehouseAuth(verifier)
>>> @app.get("/cases")
... @auth.required(require_scope("cases:read"), require_lab())
... def list_cases():
...     return {"lab": g.auth["lab_id"]}
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar

from flask import Flask, Response, g, jsonify, request

from ._authenticator import Authenticator
from ._errors import VerifierError
from ._requirements import AuthContext, Requirement, check_requirements
from ._verifier import Verifier

F = TypeVar("F", bound=Callable[..., Any])


class GatehouseAuth(Authenticator):
    """A Flask extension. ``init_app(app)`` (or passing ``app``) also answers a VerifierError raised
    inside a view (a requirement checked there, ``require(...)``) with the same challenge."""

    def __init__(self, verifier: Verifier, app: Optional[Flask] = None, **options: Any) -> None:
        super().__init__(verifier, **options)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.register_error_handler(VerifierError, self.respond)
        app.extensions["gatehouse"] = self

    def respond(self, error: VerifierError) -> Response:
        challenge = self.challenge(error)
        response = jsonify(challenge.body)
        response.status_code = challenge.status
        response.headers.update(challenge.headers)
        return response

    def required(self, *requirements: Requirement) -> Callable[[F], F]:
        """Verifies the request's token, checks the requirements in order, and answers 401/403/503
        itself (RFC 6750 challenge, JSON body ``{error, error_description}``) when one fails."""

        def decorator(view: F) -> F:
            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    auth = self.authenticate(request.headers.get("Authorization"), request.headers.get("Cookie"), requirements)
                except VerifierError as error:
                    return self.respond(error)
                g.gatehouse = auth
                g.auth = auth.claims
                return view(*args, **kwargs)

            return wrapper  # type: ignore[return-value]

        return decorator


def require(*requirements: Requirement) -> AuthContext:
    """Checks more requirements inside a view already decorated with ``required`` (raises
    VerifierError, answered by the extension's error handler)."""
    auth: AuthContext = g.gatehouse
    check_requirements(auth, requirements)
    return auth
