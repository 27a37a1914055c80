"""The audit log: one JSON line per request, for tests and benchmarks (never the request bodies)."""
import json
import time


class AuditLog:
    def __init__(self, path):
        self._file = open(path, "a", buffering=1, encoding="utf-8")  # line-buffered: readers see whole lines

    def record(self, info, code, started, dry_run, user_agent, fault=None, user="", credential=None):
        """`user`: who the token says made the request ("" when no token was recognised: a 401); `credential`:
        the short-lived token it signed in with (authentication.Credential: id and expiry, never the token), or
        None for a static token."""
        entry = {
            "ts": round(started, 6),
            "user": user,
            "verb": info.verb,
            "apiGroup": info.group,
            "apiVersion": info.version,
            "resource": info.audit_resource,
            "namespace": info.namespace,
            "name": info.name,
            "path": info.path,
            "code": code,
            "duration_ms": round((time.time() - started) * 1000, 3),
            "dry_run": dry_run,
            "user_agent": user_agent,
        }
        if fault:
            entry["fault"] = fault
        if credential is not None:
            entry["credential"] = {"id": credential.token_id, "expires": credential.expires}
        self._file.write(json.dumps(entry) + "\n")

    def close(self):
        self._file.close()
