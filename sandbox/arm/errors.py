"""Error answers in the two dialects the sandbox's Azure speaks: ARM's `{"error": {"code", "message"}}`
and Entra's OAuth error body (error, error_description with the AADSTS code, error_codes, trace ids)."""
import datetime
import json
import uuid

from aiohttp import web


class ArmError(Exception):
    """An ARM error answer: status, code (InvalidApiVersionParameter, ResourceNotFound, ...) and message."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self):
        return web.json_response({"error": {"code": self.code, "message": self.message}}, status=self.status,
                                 headers={"x-ms-failure-cause": "gateway", **self.headers})


def not_found(resource_type, name, resource_group):
    return ArmError(404, "ResourceNotFound", f"The Resource '{resource_type}/{name}' under resource group "
                                             f"'{resource_group}' was not found. For more details please go to "
                                             "https://aka.ms/ARMResourceNotFoundFix")


def bad_body():
    return ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                                                  "the body must be a JSON object.")


def entra_error(status, error, aadsts, description):
    """Entra's error body, which MSAL reads (error, error_description, error_codes)."""
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {"error": error,
            "error_description": f"AADSTS{aadsts}: {description} Trace ID: {trace_id} Correlation ID: "
                                 f"{correlation_id} Timestamp: {now}",
            "error_codes": [aadsts], "timestamp": now, "trace_id": trace_id, "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={aadsts}"}
    return web.Response(text=json.dumps(body), status=status, content_type="application/json",
                        headers={"Cache-Control": "no-store, no-cache"})
