"""Faults that strike outside any request (a controller restarted, the mirroring link cut, ARM tokens revoked) as
lines of the audit logs, so that a test can prove a fault struck when it did.

A note has every field of a request line (readers filter on them) with the verb `fault` (the method `FAULT` in the
Azure log), no status code and the fault in `fault`. It is appended in one write, which the kernel keeps whole
beside the server's own lines (both open the log for appending), and it is written from whichever process inflicts
the fault, so a note is recorded even while the site's API server is down."""
import json
import time

NOTE_AGENT = "sandbox-fault"


def _append(path, entry):
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def site_note(files, fault):
    """Record `fault` (a dict naming it, e.g. {"controller": "stopped"}) in the site's audit log."""
    _append(files.audit_log, {"ts": round(time.time(), 6), "user": "", "verb": "fault", "apiGroup": "",
                              "apiVersion": "", "resource": "", "namespace": "", "name": "", "path": "", "code": 0,
                              "duration_ms": 0, "dry_run": False, "user_agent": NOTE_AGENT, "fault": fault})


def azure_entry(fault):
    """The line of the sandbox Azure's audit log that records `fault`."""
    return {"ts": round(time.time(), 6), "method": "FAULT", "path": "", "api_version": None, "principal": "",
            "status": 0, "duration_ms": 0, "fault": fault}
