from django.http import JsonResponse

from gatehouse_verifier import require_role, require_scope
from gatehouse_verifier.django import gatehouse_required

TICKETS = [{"id": "T-1", "title": "Printer on fire", "status": "open"}]


def healthz(_request):
    return JsonResponse({"status": "ok"})


@gatehouse_required(require_scope("tickets:read"), require_role("Technician"))
def assigned_tickets(request):
    # request.auth: the verified claims. The technician is the token's sub, never a parameter.
    return JsonResponse({"technician": request.auth["sub"], "tickets": TICKETS})
