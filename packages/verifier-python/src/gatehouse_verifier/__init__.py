"""Verifies Gatehouse access tokens (RFC 9068 JWTs) in Python services, offline, with the same
checks, error codes and answers as the TypeScript ``@gatehouse/verifier``.

>>> from gatehouse_verifier import create_verifier, VerifierError
"""
from ._authenticator import Authenticator
from ._bearer import read_bearer_token
from ._challenge import Challenge, challenge_for
from ._claims import GatehouseClaims
from ._errors import VerifierError, VerifierErrorCode
from ._requirements import AuthContext, Requirement, require_active, require_lab, require_role, require_scope
from ._revocation_feed import RevocationFeed, client_credentials_token, create_revocation_feed
from ._verifier import IntrospectionOptions, Revocations, Verifier, create_verifier

__all__ = [
    "AuthContext",
    "Authenticator",
    "Challenge",
    "GatehouseClaims",
    "IntrospectionOptions",
    "Requirement",
    "RevocationFeed",
    "Revocations",
    "Verifier",
    "VerifierError",
    "VerifierErrorCode",
    "challenge_for",
    "client_credentials_token",
    "create_revocation_feed",
    "create_verifier",
    "read_bearer_token",
    "require_active",
    "require_lab",
    "require_role",
    "require_scope",
]
__version__ = "0.1.0"
