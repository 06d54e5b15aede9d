"""Outbound HTTP to Gatehouse: urllib only, a timeout on every call, redirects refused."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Callable, Optional

# (request, timeout in seconds) -> a response with .status and .read(); urllib.request.urlopen's shape.
UrlOpen = Callable[[urllib.request.Request, float], Any]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect from discovery, JWKS or introspection is a misconfiguration or an attack: the
    # TypeScript verifier uses redirect: 'manual' and treats it as "not 200"; so do we.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


# Proxies from the environment (http_proxy, no_proxy) apply, as with urllib.request.urlopen.
_opener = urllib.request.build_opener(_NoRedirect)


def default_urlopen(request: urllib.request.Request, timeout: float) -> Any:
    return _opener.open(request, timeout=timeout)


def request_json(urlopen: UrlOpen, url: str, timeout: float, data: Optional[bytes] = None, headers: Optional[dict] = None) -> Any:
    """GET (or POST with ``data``) and parse a 200 JSON answer; anything else raises."""
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/json", **(headers or {})}, method="POST" if data is not None else "GET")
    try:
        with urlopen(request, timeout) as response:
            status = getattr(response, "status", None) or response.getcode()
            if status != 200:
                raise OSError(f"{url} answered HTTP {status}")
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        error.close()
        raise OSError(f"{url} answered HTTP {error.code}") from error
