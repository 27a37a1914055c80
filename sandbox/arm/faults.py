"""Faults of the sandbox's Azure, set at run time through its operations endpoint (sandbox/arm/ops.py).

A rule matches requests by method and resource type (the route's: sqlManagedInstances, failoverGroups,
operationStatuses, resourceGroups, ...; "*" for any), at a rate and at most `count` times, and does one thing:

- `code`: answer with ARM's error for it instead of serving the request: 429 as ARM throttles
  (SubscriptionRequestsThrottled, with Retry-After), 500, 502, 503 or 504 as its gateway or the resource provider
  fails;
- `lro: hold`: a write that starts a long-running operation is accepted as usual, but its operation stays
  InProgress (the resource `Accepted`, or `Deleting`) for `hold_seconds`, or until the rule is removed, before the
  resource provider does the work, as an operation stuck in the service does.
"""
import asyncio
import time

from ..apiserver.faults import Faults
from .errors import ArmError

_RULE_FIELDS = {"method", "resource_type", "code", "rate", "count", "retry_after", "lro", "hold_seconds"}
THROTTLED = 429
_SERVER_ERRORS = {
    500: ("InternalServerError", "The server encountered an internal error. Please retry the request."),
    502: ("BadGateway", "The gateway did not receive a response from 'Microsoft.AzureArcData' within the "
                        "specified time period."),
    503: ("ServiceUnavailable", "The service is unavailable now, please try again later."),
    504: ("GatewayTimeout", "The gateway did not receive a response from 'Microsoft.AzureArcData' within the "
                            "specified time period."),
}
HOLD_POLL_SECONDS = 0.1


class ArmFaultRule:
    def __init__(self, spec):
        unknown = set(spec) - _RULE_FIELDS
        if unknown:
            raise ValueError(f"unknown ARM fault rule fields: {sorted(unknown)}; allowed: {sorted(_RULE_FIELDS)}")
        self.spec = dict(spec)
        self.method = str(spec.get("method", "*")).upper()
        self.resource_type = str(spec.get("resource_type", "*"))
        self.code = spec.get("code")
        self.rate = float(spec.get("rate", 1.0))
        self.remaining = spec.get("count")
        self.retry_after = spec.get("retry_after")
        self.lro = spec.get("lro")
        self.hold_seconds = spec.get("hold_seconds")
        self._check()

    def _check(self):
        if (self.code is None) == (self.lro is None):
            raise ValueError("an ARM fault rule has either a code or lro: hold")
        if self.code is not None and int(self.code) not in (THROTTLED, *_SERVER_ERRORS):
            raise ValueError(f"code must be one of {[THROTTLED, *sorted(_SERVER_ERRORS)]}, got {self.code!r}")
        if self.lro not in (None, "hold"):
            raise ValueError(f"lro must be 'hold', got {self.lro!r}")
        if not 0 <= self.rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate!r}")
        if self.hold_seconds is not None and float(self.hold_seconds) < 0:
            raise ValueError(f"hold_seconds must not be negative, got {self.hold_seconds!r}")

    def matches(self, method, resource_type):
        return self.method in ("*", method.upper()) and self.resource_type.lower() in ("*", resource_type.lower())

    def fires(self, rng):
        if self.remaining is not None and self.remaining <= 0:
            return False
        fired = rng.random() < self.rate
        if fired and self.remaining is not None:
            self.remaining -= 1
        return fired

    def error(self):
        code = int(self.code)
        if code == THROTTLED:
            retry_after = int(self.retry_after if self.retry_after is not None else 5)
            return ArmError(429, "SubscriptionRequestsThrottled",
                            "Number of requests for subscription exceeded the limit. Please try again after "
                            f"'{retry_after}' seconds after additional tokens are available. Refer to "
                            "https://aka.ms/arm-throttling for additional information.",
                            headers={"Retry-After": str(retry_after),
                                     "x-ms-ratelimit-remaining-subscription-reads": "0"})
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return ArmError(code, *_SERVER_ERRORS[code], headers=headers)


class ArmFaults(Faults):
    """Resource Manager's rules: the Kubernetes API's rule set (configure, describe), with ARM's own matching."""
    RULE = ArmFaultRule
    WHAT = "ARM fault rules"

    def answer(self, method, resource_type):
        """The error rule that fires for this request, or None."""
        return self._pick(method, resource_type, lambda rule: rule.code is not None)

    def hold(self, method, resource_type):
        """The hold rule that fires for a write starting a long-running operation, or None."""
        return self._pick(method, resource_type, lambda rule: rule.lro == "hold")

    def _pick(self, method, resource_type, kind):
        for rule in self.rules:
            if kind(rule) and rule.matches(method, resource_type) and rule.fires(self._rng):
                return rule
        return None

    async def wait_out(self, rule):
        """Until `rule`'s hold_seconds passed, or it is no longer configured (cleared or replaced)."""
        ends = None if rule.hold_seconds is None else time.monotonic() + float(rule.hold_seconds)
        while rule in self.rules and (ends is None or time.monotonic() < ends):
            await asyncio.sleep(HOLD_POLL_SECONDS)
