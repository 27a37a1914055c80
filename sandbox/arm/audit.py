"""The Azure audit log: one JSON line per request (method, path, principal, status), never bodies or
headers, so tests can count ARM writes as the sites' audit logs let them count Kubernetes writes."""
import json
import time

from aiohttp import web

from ..fault_notes import azure_entry
from .ops import OPS_PREFIX


class AzureAudit:
    def __init__(self, path):
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # line-buffered: readers see whole lines

    def record(self, request, status, started):
        principal = request.get("principal")
        entry = {"ts": round(started, 6), "method": request.method, "path": request.path,
                 "api_version": request.query.get("api-version"),
                 "principal": principal.name if principal else "", "status": status,
                 "duration_ms": round((time.time() - started) * 1000, 3)}
        if request.get("fault"):
            entry["fault"] = request["fault"]  # the fault rule that struck this request
        self._file.write(json.dumps(entry) + "\n")

    def note(self, fault):
        """A fault that struck outside any request (a held operation released, tokens revoked)."""
        self._file.write(json.dumps(azure_entry(fault)) + "\n")

    def close(self):
        self._file.close()


@web.middleware
async def audit_middleware(request, handler):
    if request.path.startswith(OPS_PREFIX):  # the sandbox's own operations: their effects are noted instead
        return await handler(request)
    started = time.time()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        request.app["audit"].record(request, exc.status, started)
        raise
    request.app["audit"].record(request, response.status, started)
    return response
