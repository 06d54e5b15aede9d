"""A user service in FastAPI on gatehouse_verifier (the seeds' User Service): it knows the caller
by the token's ``sub`` and keeps its own profile table keyed by it. Gatehouse access tokens carry no
email on purpose (docs/TOKENS.md: they stay small); the service stores the email it was given when
the user was synced from Gatehouse (management API or events). Run:

    ISSUER=http://127.0.0.1:3000 PYTHONPATH=packages/verifier-python/src:examples/python \\
        /usr/bin/python3 -m uvicorn user_service_fastapi:app_from_environment --factory --port 5003
"""
from __future__ import annotations

import os
from typing import Dict, Mapping

from fastapi import Depends, FastAPI, HTTPException

from gatehouse_verifier import GatehouseClaims, Verifier, create_verifier, require_role, require_scope
from gatehouse_verifier.fastapi import GatehouseBearer, GatehouseMiddleware

USERS = "https://users.example"


def create_app(verifier: Verifier, profiles: Mapping[str, Dict[str, str]]) -> FastAPI:
    """``profiles``: this service's own table, sub -> {"email": ...}."""
    app = FastAPI()
    bearer = GatehouseBearer(verifier)
    bearer.install(app)
    # Every route except the health check needs a valid token; the dependencies below reuse it.
    app.add_middleware(GatehouseMiddleware, verifier=verifier, exempt_paths=["/healthz"])

    @app.get("/healthz")
    def healthz() -> Dict[str, str]:
        return {"status": "ok"}

    @app.get("/users/me")
    def me(claims: GatehouseClaims = Depends(bearer.requires(require_scope("profile:read")))) -> Dict[str, str]:
        profile = profiles.get(claims["sub"])
        if profile is None:
            raise HTTPException(404, "this user has not been synced to the user service yet")
        return {"sub": claims["sub"], "email": profile["email"]}

    @app.get("/users/{sub}")
    def by_id(sub: str, _claims: GatehouseClaims = Depends(bearer.requires(require_role("directory")))) -> Dict[str, str]:
        profile = profiles.get(sub)
        if profile is None:
            raise HTTPException(404, "no such user")
        return {"sub": sub, "email": profile["email"]}

    return app


def app_from_environment() -> FastAPI:
    return create_app(create_verifier(issuer=os.environ["ISSUER"], audience=USERS), {})
