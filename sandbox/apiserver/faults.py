"""Fault injection, configured at run time: error codes at a rate, latency, dropped connections, broken watches.

Rules match on verb and resource ("*" for any), and optionally on the client's User-Agent prefix (to fault one
client, such as the collection, and not the site's own controller); the first matching rule decides. An error rule
answers with its status code instead of doing the request. A drop rule cuts the connection
either before the request is processed or after it was (the write happened, the client never
heard): the second is the case that tests whether a client's retry is idempotent. Latency is `latency_ms` plus a
random share of `latency_jitter_ms`, as a loaded API server answers.

A watch rule (`watch: expire`) matches only watches resumed from a resourceVersion and answers them `410 Gone`
(Expired), as a server whose etcd compacted that version does: the client must list again. Cutting the watches
that are already open is an operation of its own (`/_sandbox/watches/cut`), not a rule.
"""
import random

from . import errors

_REASONS = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
            409: "Conflict", 502: "BadGateway"}
_RULE_FIELDS = {"verb", "resource", "namespace", "user_agent", "code", "rate", "retry_after", "latency_ms",
                "latency_jitter_ms", "drop", "count", "watch"}
WATCH_ACTIONS = ("expire",)


class FaultRule:
    def __init__(self, spec):
        unknown = set(spec) - _RULE_FIELDS
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}; allowed: {sorted(_RULE_FIELDS)}")
        self.spec = dict(spec)
        self.verb = spec.get("verb", "*")
        self.resource = spec.get("resource", "*")
        self.namespace = spec.get("namespace", "*")
        self.user_agent = spec.get("user_agent", "")  # a prefix; empty matches every client
        self.code = spec.get("code")
        self.rate = float(spec.get("rate", 1.0))
        self.retry_after = spec.get("retry_after")
        self.latency_ms = float(spec.get("latency_ms", 0))
        self.latency_jitter_ms = float(spec.get("latency_jitter_ms", 0))
        self.drop = spec.get("drop")  # None, "before" or "after"
        self.watch = spec.get("watch")  # None or "expire"
        self.remaining = spec.get("count")  # fire at most this many times (None: unlimited)
        self._check()

    def _check(self):
        if self.drop not in (None, "before", "after"):
            raise ValueError(f"drop must be 'before' or 'after', got {self.drop!r}")
        if self.code is not None and int(self.code) not in _REASONS:
            raise ValueError(f"code must be one of {sorted(_REASONS)}, got {self.code!r}")
        if not 0 <= self.rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate!r}")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0:
            raise ValueError("latency_ms and latency_jitter_ms must not be negative")
        if self.retry_after is not None and int(self.retry_after) < 0:
            raise ValueError(f"retry_after must not be negative, got {self.retry_after!r}")
        if self.watch not in (None,) + WATCH_ACTIONS:
            raise ValueError(f"watch must be one of {list(WATCH_ACTIONS)}, got {self.watch!r}")
        if self.watch and (self.code is not None or self.drop):
            raise ValueError("a watch rule neither answers with a code nor drops the connection")

    def matches(self, info, user_agent="", resumed_watch=False):
        """`resumed_watch`: the request is a watch from a resourceVersion (only those can be told it expired)."""
        if self.watch and not (info.verb == "watch" and resumed_watch):
            return False
        return (self.verb in ("*", info.verb) and self.resource in ("*", info.resource, info.audit_resource)
                and self.namespace in ("*", info.namespace) and user_agent.startswith(self.user_agent))

    def fires(self, rng):
        if self.remaining is not None and self.remaining <= 0:
            return False
        fired = rng.random() < self.rate
        if fired and self.remaining is not None:
            self.remaining -= 1
        return fired

    def latency_seconds(self, rng):
        return (self.latency_ms + rng.uniform(0, self.latency_jitter_ms)) / 1000

    def error(self):
        code = int(self.code)
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        if code in (429, 503) and not headers:
            headers["Retry-After"] = "1"
        return errors.ApiError(code, _REASONS[code], f"injected fault: {_REASONS[code]}", headers=headers)


class Faults:
    """The rules in force, replaced as a whole by configure(); subclasses name their rule class."""
    RULE = FaultRule
    WHAT = "fault rules"

    def __init__(self, seed=None):
        self.rules = []
        self._rng = random.Random(seed)

    def configure(self, specs):
        if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
            raise ValueError(f"{self.WHAT} are a list of objects")
        self.rules = [self.RULE(s) for s in specs]

    def describe(self):
        return [r.spec for r in self.rules]

    def pick(self, info, user_agent="", resumed_watch=False):
        """The rule that fires for this request, or None."""
        for rule in self.rules:
            if rule.matches(info, user_agent, resumed_watch) and rule.fires(self._rng):
                return rule
        return None

    def latency_seconds(self, rule):
        """The delay `rule` adds to this request (its latency and a random share of its jitter)."""
        return rule.latency_seconds(self._rng)
