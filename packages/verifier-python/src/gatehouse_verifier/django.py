"""Django adapter: ``GatehouseMiddleware`` and the ``gatehouse_required`` view decorator.

settings.py::

    MIDDLEWARE = [..., "gatehouse_verifier.django.GatehouseMiddleware"]
    GATEHOUSE = {"VERIFIER": "tickets.auth.verifier", "COOKIE_NAME": "access_token"}

views.py::

    @gatehouse_required(require_role("Technician"))
    def assigned_tickets(request):
        return JsonResponse({"technician": request.auth["sub"]})

The middleware verifies the token of every request that carries one and puts the claims on
``request.auth`` (None without a token, so public views keep working); a request with a bad token
is answered 401 (503 when Gatehouse's keys cannot be fetched) before any view runs.
``gatehouse_required`` answers 401 without a token and checks the requirements (403). Used
without the middleware, the decorator verifies the token itself.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from ._authenticator import Authenticator
from ._errors import VerifierError
from ._requirements import AuthContext, Requirement, check_requirements
from ._verifier import Verifier

F = TypeVar("F", bound=Callable[..., Any])

_authenticator: Optional[Authenticator] = None
_configured_from: Any = None


def authenticator() -> Authenticator:
    """The Authenticator configured by ``settings.GATEHOUSE``: ``VERIFIER`` (a Verifier or the
    dotted path of one), ``COOKIE_NAME``, ``REALM``, ``RETRY_AFTER_SECONDS``."""
    global _authenticator, _configured_from
    config = getattr(settings, "GATEHOUSE", None)
    if not isinstance(config, dict) or "VERIFIER" not in config:
        raise RuntimeError('gatehouse_verifier.django: settings.GATEHOUSE = {"VERIFIER": ...} is missing')
    if _authenticator is None or _configured_from is not config:
        verifier = config["VERIFIER"]
        if isinstance(verifier, str):
            verifier = import_string(verifier)
        if not isinstance(verifier, Verifier):
            raise RuntimeError("gatehouse_verifier.django: GATEHOUSE['VERIFIER'] is not a Verifier")
        _authenticator = Authenticator(verifier, cookie_name=config.get("COOKIE_NAME"), realm=config.get("REALM"),
                                       retry_after_seconds=config.get("RETRY_AFTER_SECONDS", 5))
        _configured_from = config
    return _authenticator


def respond(error: VerifierError) -> HttpResponse:
    challenge = authenticator().challenge(error)
    response = JsonResponse(challenge.body, status=challenge.status)
    for name, value in challenge.headers.items():
        response[name] = value
    return response


def _authenticate(request: HttpRequest) -> Optional[AuthContext]:
    auth = authenticator()
    try:
        return auth.authenticate(request.headers.get("Authorization"), request.headers.get("Cookie"))
    except VerifierError as error:
        if error.code == "token_missing":
            return None
        raise


class GatehouseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            context = _authenticate(request)
        except VerifierError as error:
            return respond(error)
        request.gatehouse = context  # type: ignore[attr-defined]
        request.auth = context.claims if context else None  # type: ignore[attr-defined]
        return self.get_response(request)


def gatehouse_required(*requirements: Requirement) -> Callable[[F], F]:
    """A view decorator: 401 without a (valid) token, then the requirements in order (403/401/503).
    Bearer-token views are not cookie-authenticated by Django's session, so the view is
    csrf_exempt; if you enable ``COOKIE_NAME``, protect state-changing views against CSRF yourself
    (SameSite=Strict cookie, or Django's CSRF token)."""

    def decorator(view: F) -> F:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                if not hasattr(request, "gatehouse"):  # no middleware: verify here
                    request.gatehouse = _authenticate(request)  # type: ignore[attr-defined]
                    request.auth = request.gatehouse.claims if request.gatehouse else None  # type: ignore[attr-defined]
                context: Optional[AuthContext] = request.gatehouse  # type: ignore[attr-defined]
                if context is None:
                    raise VerifierError("token_missing", "no access token was presented")
                check_requirements(context, requirements)
            except VerifierError as error:
                return respond(error)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
