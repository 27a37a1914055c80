# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for an object to reach a state, driven by watch events rather than polling.

After one read, a watch from that object's resourceVersion delivers each change as it happens
(a 5-second poll, as `az` and kubernetes.core do, adds up to 5 seconds to every step of a
failover). An expired watch (timeout, 410 Gone) is resumed from a fresh read; where the API
offers no watch, polling is the fallback. A timeout names the object, the field, the value
expected and the value last seen, and the time waited, and carries the last object.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from .errors import ApiFailure, ArcError, WaitTimeout

try:
    from kubernetes import watch
    from kubernetes.client.rest import ApiException
    import urllib3
    WATCH_INTERRUPTIONS = (urllib3.exceptions.HTTPError, OSError, ValueError)
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    watch = ApiException = WATCH_INTERRUPTIONS = None

POLL_SECONDS = 1.0


def _elapsed(started):
    return time.monotonic() - started


class Heartbeat(object):
    """Something to do every `interval` seconds while waiting, such as renewing the DR lock (dr_lock.py): the
    watch is cut into windows of that length so that a quiet object does not starve it."""

    def __init__(self, interval, beat):
        self.interval, self._beat = interval, beat
        self._due = time.monotonic() + interval

    def window_end(self, deadline):
        return min(deadline, self._due)

    def beat_if_due(self):
        if time.monotonic() >= self._due:
            self._beat()
            self._due = time.monotonic() + self.interval


class _NoHeartbeat(object):
    @staticmethod
    def window_end(deadline):
        return deadline

    @staticmethod
    def beat_if_due():
        return None


def wait_for(resources, name, condition, timeout, obj=None, heartbeat=None):
    """Wait until `condition` (see conditions.py) holds for the object; returns the object that met it."""
    try:
        return _wait(resources, name, condition, timeout, obj, heartbeat or _NoHeartbeat())
    except _ControllerFailure as failure:
        raise ArcError("%s: %s: %s" % (resources.caller.site, resources.describe(name), failure.message),
                       site=resources.caller.site, object=resources.describe(name), **failure.details)


def poll_for(resources, name, condition, timeout, obj=None, heartbeat=None):
    """wait_for over an API that has no watch (Azure Resource Manager): a read every POLL_SECONDS."""
    started = time.monotonic()
    state = {"obj": obj if obj is not None else resources.get(name)}
    try:
        if _met(condition, state["obj"]):
            return state["obj"]
        return _poll(resources, name, condition, state, started, timeout, heartbeat or _NoHeartbeat())
    except _ControllerFailure as failure:
        raise ArcError("%s: %s: %s" % (resources.caller.site, resources.describe(name), failure.message),
                       site=resources.caller.site, object=resources.describe(name), **failure.details)


def wait_for_timed(resources, name, condition, timeout, obj=None):
    """wait_for (poll_for for resources that say `polled`), and the seconds it took (what the _info modules return
    as `waited`)."""
    started = time.monotonic()
    wait = poll_for if getattr(resources, "polled", False) else wait_for
    obj = wait(resources, name, condition, timeout, obj)
    return obj, round(_elapsed(started), 1)


def read_for_info(resources, params, check_mode, wait_conditions, result):
    """The objects an _info module returns: every one of the namespace, or the one named by `name` (none when it
    does not exist), first awaited when `wait` asks for it (not in check mode), with `wait_condition` looked up in
    `wait_conditions` and `wait_timeout`; the seconds waited go into result['waited']."""
    name = params["name"]
    if not name:
        return resources.list().get("items") or []
    obj = resources.get(name)
    if params["wait"] and not check_mode:
        condition = wait_conditions[params["wait_condition"]]()
        obj, result["waited"] = wait_for_timed(resources, name, condition, params["wait_timeout"], obj)
    return [obj] if obj is not None else []


def _wait(resources, name, condition, timeout, obj, heartbeat):
    started = time.monotonic()
    obj = obj if obj is not None else resources.get(name)
    state = {"obj": obj}
    if _met(condition, obj):
        return obj
    while _elapsed(started) < timeout:
        heartbeat.beat_if_due()
        try:
            found = _watch(resources, name, condition, state, heartbeat.window_end(started + timeout))
        except ApiException as exc:
            if exc.status == 410:  # expired: resume from a fresh read
                state["obj"] = resources.get(name)
                if _met(condition, state["obj"]):
                    return state["obj"]
                continue
            if exc.status in (404, 405):  # no watch here: poll instead
                return _poll(resources, name, condition, state, started, timeout, heartbeat)
            if not resources.caller.policy.retriable(exc.status):
                raise resources.caller.failure("watch", resources.describe(name), exc)
            if _pause_and_reread(resources, name, condition, state, started, timeout):
                return state["obj"]  # a 429 or 5xx, transient like for any other request: watch again
            continue
        except WATCH_INTERRUPTIONS:
            if _pause_and_reread(resources, name, condition, state, started, timeout):
                return state["obj"]
            continue
        if found:
            return state["obj"]
    raise _timeout(resources, name, condition, state["obj"], started)


def _met(condition, obj):
    """Whether the wait is over; raises ArcError at once when the controller reports a terminal failure."""
    failure = condition.failed(obj)
    if failure:
        raise _ControllerFailure(failure, last_object=obj)
    return condition.check(obj)[0]


class _ControllerFailure(ArcError):
    """The controller ended the operation with a failure; wait_for adds the site and the object."""


def _watch(resources, name, condition, state, deadline):
    obj = state["obj"]
    resource_version = (obj or {}).get("metadata", {}).get("resourceVersion")
    remaining = max(1, int(deadline - time.monotonic() + 0.999))
    kwargs = {"field_selector": "metadata.name=%s" % name, "timeout_seconds": remaining,
              "_request_timeout": (10, remaining + 10)}
    if resource_version:
        kwargs["resource_version"] = resource_version
    stream = watch.Watch().stream(resources.api.list_namespaced_custom_object, resources.kind.group,
                                  resources.version, resources.namespace, resources.kind.plural, **kwargs)
    for event in stream:
        kind = event["type"]
        if kind == "ERROR":
            raw = event.get("raw_object") or {}
            raise ApiException(status=raw.get("code", 500), reason=raw.get("message"))
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            continue
        state["obj"] = None if kind == "DELETED" else event["raw_object"]
        if _met(condition, state["obj"]):
            return True
        if time.monotonic() >= deadline:
            return False
    return False


def _poll(resources, name, condition, state, started, timeout, heartbeat):
    while _elapsed(started) < timeout:
        heartbeat.beat_if_due()
        time.sleep(min(POLL_SECONDS, max(0.0, started + timeout - time.monotonic())))
        state["obj"] = resources.get(name)
        if _met(condition, state["obj"]):
            return state["obj"]
    raise _timeout(resources, name, condition, state["obj"], started)


def _pause_and_reread(resources, name, condition, state, started, timeout):
    """After an interrupted watch: a short pause, a fresh read; whether the condition holds now."""
    time.sleep(min(POLL_SECONDS, max(0.0, started + timeout - time.monotonic())))
    state["obj"] = _reread(resources, name, condition, state["obj"], started)
    return _met(condition, state["obj"])


def _reread(resources, name, condition, last, started):
    """A fresh read after an interruption. When even that fails after all its retries, the site is down or
    failing: the wait ends now rather than at its timeout, which can be many minutes away."""
    try:
        return resources.get(name)
    except ApiFailure as failure:
        unused, field, expected, seen = condition.check(last)
        raise ArcError("%s: gave up waiting for %s after %.1f s, the site's API stopped answering (%s); %s was last "
                       "seen %s, expected %s" % (resources.caller.site, resources.describe(name), _elapsed(started),
                                                 failure.message, field, seen, expected),
                       site=resources.caller.site, object=resources.describe(name), field=field, expected=expected,
                       seen=seen, elapsed=round(_elapsed(started), 1), reason=failure.details.get("reason"),
                       last_object=last)


def _timeout(resources, name, condition, obj, started):
    unused, field, expected, seen = condition.check(obj)
    return WaitTimeout("%s: timed out after %.1f s waiting for %s: %s to be %s, last seen %s" % (
        resources.caller.site, _elapsed(started), resources.describe(name), field, expected, seen),
        site=resources.caller.site, object=resources.describe(name), field=field, expected=expected, seen=seen,
        elapsed=round(_elapsed(started), 1), last_object=obj)
