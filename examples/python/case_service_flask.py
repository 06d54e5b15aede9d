"""A case service in Flask on gatehouse_verifier: the dental-lab CMS of the seeds, isolating data by
lab. The Python twin of examples/case-service (Koa). Run:

    ISSUER=http://127.0.0.1:3000 PYTHONPATH=packages/verifier-python/src:examples/python \\
        /usr/bin/python3 -m flask --app case_service_flask run --port 5001
"""
from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime, timezone
from typing import Dict, List, Optional

from flask import Flask, g, jsonify, request

from gatehouse_verifier import IntrospectionOptions, Verifier, create_verifier, require_active, require_lab, require_scope
from gatehouse_verifier.flask import GatehouseAuth

CMS = "https://cms.example"
# Lab membership roles, matched exactly (require_lab has no hierarchy): list every role that passes.
READERS, WRITERS, ADMINS = ("admin", "member", "viewer"), ("admin", "member"), ("admin",)
FIELDS = {"patient_name": 200, "case_type": 50, "doctor": 200, "product": 200}


class CaseRepository:
    """Every method takes the lab id first: there is no query without a lab."""

    def __init__(self) -> None:
        self._by_lab: Dict[str, Dict[str, dict]] = {}
        self._lock = threading.Lock()

    def list(self, lab_id: str) -> List[dict]:
        with self._lock:
            return list(self._by_lab.get(lab_id, {}).values())

    def find(self, lab_id: str, case_id: str) -> Optional[dict]:
        with self._lock:
            return self._by_lab.get(lab_id, {}).get(case_id)

    def create(self, lab_id: str, author: str, fields: dict) -> dict:
        case = {"id": str(uuid.uuid4()), "lab_id": lab_id, "created_by": author,
                "created_at": datetime.now(timezone.utc).isoformat(), **fields}
        with self._lock:
            self._by_lab.setdefault(lab_id, {})[case["id"]] = case
        return case

    def remove(self, lab_id: str, case_id: str) -> bool:
        with self._lock:
            return self._by_lab.get(lab_id, {}).pop(case_id, None) is not None


def _not_found():
    # Another lab's case is answered exactly like an id that never existed: no probing.
    return jsonify({"error": "not_found", "error_description": "no such case"}), 404


def create_app(verifier: Verifier, cases: Optional[CaseRepository] = None) -> Flask:
    app = Flask(__name__)
    auth = GatehouseAuth(verifier, app)
    cases = cases if cases is not None else CaseRepository()

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/api/cases")
    @auth.required(require_lab(*READERS), require_scope("cases:read"))
    def list_cases():
        return {"cases": cases.list(g.auth["lab_id"])}

    @app.get("/api/cases/<case_id>")
    @auth.required(require_lab(*READERS), require_scope("cases:read"))
    def get_case(case_id: str):
        found = cases.find(g.auth["lab_id"], case_id)
        return found if found else _not_found()

    @app.post("/api/cases")
    @auth.required(require_lab(*WRITERS), require_scope("cases:write"))
    def create_case():
        body = request.get_json(silent=True)
        problems = _validate(body)
        if problems:
            return jsonify({"error": "invalid_case", "errors": problems}), 400
        # The lab and the author come from the verified token, never from the body.
        created = cases.create(g.auth["lab_id"], g.auth["sub"], {k: body[k] for k in FIELDS})
        return jsonify(created), 201, {"Location": f"/api/cases/{created['id']}"}

    # Deleting is where minutes matter: a revoked token must stop here at once (introspection).
    @app.delete("/api/cases/<case_id>")
    @auth.required(require_lab(*ADMINS), require_scope("cases:write"), require_active())
    def delete_case(case_id: str):
        return ("", 204) if cases.remove(g.auth["lab_id"], case_id) else _not_found()

    return app


def _validate(body: object) -> List[dict]:
    if not isinstance(body, dict):
        return [{"field": "", "detail": "send the case as a JSON object"}]
    problems = [{"field": k, "detail": f"unexpected field {k}"} for k in body if k not in FIELDS]
    for field, limit in FIELDS.items():
        value = body.get(field)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            problems.append({"field": field, "detail": f"a non-blank string of at most {limit} characters"})
    return problems


def app_from_environment() -> Flask:
    introspection = None
    if os.environ.get("CMS_CLIENT_ID"):
        introspection = IntrospectionOptions(os.environ["CMS_CLIENT_ID"], os.environ["CMS_CLIENT_SECRET"])
    return create_app(create_verifier(issuer=os.environ["ISSUER"], audience=CMS, introspection=introspection))


if __name__ == "__main__":
    app_from_environment().run(port=int(os.environ.get("PORT", "5001")))
