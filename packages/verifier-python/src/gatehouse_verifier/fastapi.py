"""FastAPI adapter: ``GatehouseBearer`` dependencies, and ``GatehouseMiddleware`` for Starlette.

>>> bearer = GatehouseBearer(verifier)
>>> bearer.install(app)                       # answers VerifierError with the RFC 6750 challenge
>>> @app.get("/users/me")
... def me(claims: GatehouseClaims = Depends(bearer.requires(require_scope("users:read")))):
...     return {"sub": claims["sub"]}

The dependencies are plain functions (not ``async def``): FastAPI runs them in its thread pool, so
a JWKS or introspection fetch (blocking urllib, with a timeout) never stalls the event loop.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ._authenticator import Authenticator
from ._claims import GatehouseClaims
from ._errors import VerifierError
from ._requirements import AuthContext, Requirement
from ._verifier import Verifier


class GatehouseBearer(Authenticator):
    def install(self, app: FastAPI) -> None:
        """Registers the handler that turns a VerifierError raised by a dependency into its
        challenge (401/403 with WWW-Authenticate, 503 with Retry-After, JSON ``{error, error_description}``)."""
        app.add_exception_handler(VerifierError, self._handle)

    async def _handle(self, _request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, VerifierError)
        return self.response(error)

    def response(self, error: VerifierError) -> JSONResponse:
        challenge = self.challenge(error)
        return JSONResponse(challenge.body, status_code=challenge.status, headers=challenge.headers)

    def context(self, request: Request) -> AuthContext:
        """A dependency giving the AuthContext (claims, token, verifier). Reuses what
        GatehouseMiddleware verified for this request."""
        existing = request.scope.get("gatehouse")
        if isinstance(existing, AuthContext):
            return existing
        auth = self.authenticate(request.headers.get("authorization"), request.headers.get("cookie"))
        request.scope["gatehouse"] = auth
        return auth

    def __call__(self, request: Request) -> GatehouseClaims:
        """As a dependency: the verified claims."""
        return self.context(request).claims

    def requires(self, *requirements: Requirement) -> Callable[[Request], GatehouseClaims]:
        """A dependency that verifies the token, checks the requirements in order and gives the claims."""

        def dependency(request: Request) -> GatehouseClaims:
            auth = self.context(request)
            for requirement in requirements:
                requirement(auth)
            return auth.claims

        return dependency


class GatehouseMiddleware:
    """Pure ASGI middleware (Starlette, FastAPI): every HTTP request outside ``exempt_paths`` must
    carry a valid token, or is answered 401/503 here; the AuthContext is put in
    ``scope["gatehouse"]`` (read by GatehouseBearer's dependencies, or ``request.scope``)."""

    def __init__(self, app: ASGIApp, verifier: Verifier, *, exempt_paths: Iterable[str] = (), **options: Any) -> None:
        self.app = app
        self.bearer = GatehouseBearer(verifier, **options)
        self.exempt = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in (b"authorization", b"cookie")}
        try:
            scope["gatehouse"] = await run_in_threadpool(self.bearer.authenticate, headers.get("authorization"), headers.get("cookie"))
        except VerifierError as error:
            await self.bearer.response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
