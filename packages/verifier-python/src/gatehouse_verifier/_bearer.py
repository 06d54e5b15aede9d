"""The bearer token of a request (bearer-token.ts's twin)."""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import unquote

from ._errors import VerifierError

# RFC 6750 section 2.1 b64token.
_B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
_BEARER = re.compile(r"^Bearer(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)


def read_bearer_token(authorization: Optional[str], cookie_header: Optional[str] = None,
                      cookie_name: Optional[str] = None) -> Optional[str]:
    """The Authorization header first, then (only if the service opted in) the named cookie. None
    means no credentials at all, which RFC 6750 section 3.1 answers without an error code; a
    Bearer header with a malformed value is an invalid token."""
    if authorization:
        match = _BEARER.match(authorization.strip())
        if match:
            token = (match.group(1) or "").strip()
            if not _B64TOKEN.match(token):
                raise VerifierError("token_invalid", "the Authorization header does not carry a well-formed bearer token")
            return token
        # Another scheme (Basic, DPoP...) is not ours: treat as no bearer token.
    if cookie_name and cookie_header:
        for pair in cookie_header.split(";"):
            name, sep, value = pair.partition("=")
            if not sep or name.strip() != cookie_name:
                continue
            value = value.strip()
            if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
                value = value[1:-1]
            try:
                value = unquote(value, errors="strict")
            except UnicodeDecodeError as cause:
                raise VerifierError("token_invalid", "the access token cookie is malformed") from cause
            return value or None
    return None
