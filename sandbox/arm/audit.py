"""The Azure audit log: one JSON line per request (method, path, principal, status), never bodies or
headers, so tests can count ARM writes as the sites' audit logs let them count Kubernetes writes."""
import json
import time

from aiohttp import web


class AzureAudit:
    def __init__(self, path):
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # line-buffered: readers see whole lines

    def record(self, request, status, started):
        principal = request.get("principal")
        self._file.write(json.dumps({
            "ts": round(started, 6), "method": request.method, "path": request.path,
            "api_version": request.query.get("api-version"),
            "principal": principal.name if principal else "", "status": status,
            "duration_ms": round((time.time() - started) * 1000, 3)}) + "\n")

    def close(self):
        self._file.close()


@web.middleware
async def audit_middleware(request, handler):
    started = time.time()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        request.app["audit"].record(request, exc.status, started)
        raise
    request.app["audit"].record(request, response.status, started)
    return response
