# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR lock: one operator at a time per DR pair, as a coordination.k8s.io/v1 Lease.

A failover holds the pair's Lease on one site and renews it every third of its duration while it runs. A run that
finds the Lease held by another holder watches it: the holder is alive when the Lease changes while it is watched
(a renewal, a release, a new holder), and the run then fails naming the holder. A Lease that stays unchanged (same
resourceVersion, holder and renewTime) for its whole leaseDurationSeconds plus STALE_MARGIN_SECONDS, measured on
this machine's monotonic clock, is stale: its holder stopped renewing (a run that was killed), and it is taken over,
the takeover written into the Lease's annotations and reported. This is the rule of Kubernetes leader election
(client-go judges a leader by when it observed the record change, not by the time written in it): the times the
holder wrote are never compared with this machine's clock, so machines whose clocks disagree still exclude each
other, and a renewTime in the future or long past neither shortens nor lengthens the watch.

A Lease also carries the intent of the transition its holder runs (TRANSITION_ANNOTATION, see transition_intent.py);
an unfinished transition's intent stays on the Lease when it is taken over, so that the next run finishes it.

Every write is a create or a replace at the resourceVersion just read: of two runs racing for a free or stale Lease
exactly one write succeeds; the other re-reads and finds it held.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json
import re
import time

from .errors import ArcError
from .leases import LostRace
from .waiting import Heartbeat

HOLDER_ANNOTATION = "arcdata.sqlmi/purpose"
TRANSITION_ANNOTATION = "arcdata.sqlmi/transition"
TAKEOVER_ANNOTATION = "arcdata.sqlmi/taken-over"
MAX_RACES = 5
# watched beyond the holder's duration before a Lease counts as stale: a renewal sent just before the duration ends
# must have time to arrive
STALE_MARGIN_SECONDS = 2
# how often a held Lease is read again while it is watched
WATCH_INTERVAL_SECONDS = 1.0
# the longest duration a Lease is watched for (arc_failover and arc_dr_lock accept up to this)
MAX_WATCH_DURATION = 3600


class LockHeld(ArcError):
    """Another holder's Lease has not expired."""


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def format_time(moment):
    """A Kubernetes MicroTime: RFC 3339 with microseconds, UTC."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


TIME_PATTERN = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def parse_time(text):
    """A MicroTime or Time (any fraction of a second, Z or an offset) as an aware UTC datetime; None when absent
    or unreadable (a Lease with an unreadable renewTime counts as expired)."""
    match = TIME_PATTERN.match(text or "")
    if not match:
        return None
    base, fraction, zone = match.groups()
    moment = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    moment += datetime.timedelta(microseconds=int((fraction or "0")[:6].ljust(6, "0")))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment


def describe(lease, now):
    """Holder, times and expiry of a Lease, as the module returns and reports them."""
    spec = (lease or {}).get("spec") or {}
    renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
    duration = spec.get("leaseDurationSeconds") or 0
    expires = renewed + datetime.timedelta(seconds=duration) if renewed else None
    acquired = parse_time(spec.get("acquireTime"))
    return {"holder": spec.get("holderIdentity") or "",
            "purpose": ((lease or {}).get("metadata", {}).get("annotations") or {}).get(HOLDER_ANNOTATION, ""),
            "acquired_at": format_time(acquired) if acquired else None,
            "renewed_at": format_time(renewed) if renewed else None,
            "duration_seconds": duration, "transitions": spec.get("leaseTransitions") or 0,
            "expires_at": format_time(expires) if expires else None,
            "expired": expires is None or expires <= now,
            "transition": annotation_json(lease, TRANSITION_ANNOTATION),
            "taken_over": annotation_json(lease, TAKEOVER_ANNOTATION)}


def annotation_json(lease, key):
    """The JSON object an annotation of the Lease holds, or None (also for one that is not an object)."""
    text = (((lease or {}).get("metadata") or {}).get("annotations") or {}).get(key)
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def fingerprint(lease):
    """What must stay the same for a held Lease to count as unchanged while it is watched."""
    spec = (lease or {}).get("spec") or {}
    return ((lease or {}).get("metadata") or {}).get("resourceVersion"), spec.get("holderIdentity"), \
        spec.get("renewTime"), spec.get("acquireTime")


def watch_seconds(lease):
    """How long a held Lease must be seen unchanged to be stale: its duration (within 1 s and an hour) plus the
    margin."""
    duration = ((lease or {}).get("spec") or {}).get("leaseDurationSeconds") or 0
    return min(max(int(duration), 1), MAX_WATCH_DURATION) + STALE_MARGIN_SECONDS


class Watch(object):
    """A held Lease as this run watches it: the fingerprint first seen and when (monotonic)."""

    def __init__(self, lease, monotonic):
        self.lease, self.fingerprint, self.since, self.monotonic = lease, fingerprint(lease), monotonic(), monotonic

    def changed(self, lease):
        return fingerprint(lease) != self.fingerprint

    def unchanged_for(self):
        return self.monotonic() - self.since


class DrLock(object):
    """The pair's Lease at one site, for one holder. `intent`: the transition the holder runs (a dict, written as
    TRANSITION_ANNOTATION when the lock is taken); `watch`: whether a Lease held by another holder is watched until it
    is stale (False: refused at once, never taken over). `monotonic` and `sleep` time the watch."""

    def __init__(self, leases, name, holder, duration, purpose="", dry_run=False, clock=now_utc, intent=None,
                 watch=True, monotonic=time.monotonic, sleep=time.sleep):
        self.leases, self.name, self.holder, self.duration = leases, name, holder, duration
        self.purpose, self.dry_run, self._clock, self.intent = purpose, dry_run, clock, intent
        self.watch, self._monotonic, self._sleep = watch, monotonic, sleep

    def acquire(self):
        """Take or renew the Lease. Returns (lease, previous): the Lease written and the state of the one found
        before (None when there was none; a released one was taken, ours renewed, a stale one taken over: then
        previous["observed_unchanged_seconds"] says how long it was watched). Raises LockHeld naming the holder when
        someone else holds it and is alive (or, without `watch`, holds it at all)."""
        watch, races = None, 0
        while True:
            current = self.leases.get(self.name)
            if self._held_by_another(current):
                if watch is None and not self.watch:
                    raise self._held(current, "it was not watched for staleness")
                if watch is not None and watch.changed(current):
                    raise self._held(current, "it changed while this run watched it: its holder is alive")
                watch = watch or Watch(current, self._monotonic)
                remaining = watch_seconds(current) - watch.unchanged_for()
                if remaining > 0:
                    self._sleep(min(WATCH_INTERVAL_SECONDS, remaining))
                    continue
            elif watch is not None:  # released or gone while watched: the pair may have changed meanwhile
                raise self._held(watch.lease, "its holder released it while this run watched it: the pair may have "
                                              "changed, read it again")
            try:
                return self._acquire_from(current, watch)
            except LostRace:  # someone wrote it meanwhile: judge again from a fresh read
                races += 1
                if races >= MAX_RACES:
                    raise ArcError("%s: %s kept changing under us (%d attempts): another run is contending for the DR "
                                   "lock" % (self.leases.caller.site, self.leases.describe(self.name), MAX_RACES))

    def _held_by_another(self, lease):
        holder = describe(lease, self._clock())["holder"] if lease is not None else ""
        return bool(holder) and holder != self.holder

    def _acquire_from(self, current, watch):
        now = self._clock()
        if current is None:
            return self.leases.create(self._body(None, now), dry_run=self.dry_run), None
        previous = describe(current, now)
        renewal = previous["holder"] == self.holder
        takeover = None
        if watch is not None:
            previous["observed_unchanged_seconds"] = int(watch.unchanged_for())
            takeover = {"holder": previous["holder"], "purpose": previous["purpose"],
                        "observed_unchanged_seconds": previous["observed_unchanged_seconds"], "by": self.holder,
                        "at": format_time(now)}
        return self.leases.replace(self._body(current, now, renewal, takeover), dry_run=self.dry_run), previous

    def renew(self):
        """Renew the Lease if we still hold it; returns the holder found (ours, someone else's, or '')."""
        for unused in range(MAX_RACES):
            current = self.leases.get(self.name)
            holder = describe(current, self._clock())["holder"]
            if holder != self.holder:
                return holder
            try:
                self.leases.replace(self._body(current, self._clock(), renewal=True), dry_run=self.dry_run)
                return holder
            except LostRace:
                continue
        return self.holder

    def renewal_interval(self):
        """How often a holder renews: every third of the duration (at least every second)."""
        return max(1.0, self.duration / 3.0)

    def renew_or_warn(self, warn):
        """Renew, for a holder busy with something that matters more than the renewal: a failed renewal, or a lock
        another run took over, is reported with `warn(text)` rather than raised."""
        try:
            found = self.renew()
        except ArcError as exc:
            warn("could not renew the DR lock %s: %s" % (self.name, exc.message))
            return
        if found not in (self.holder, ""):
            warn("the DR lock %s is now held by %r: it was taken over while this run could not renew it"
                 % (self.name, found))

    def release(self, finished=False):
        """Give the Lease up if we hold it (an empty holder, as client-go's ReleaseOnCancel leaves it); `finished`:
        the transition of its intent has ended, which the intent then says. Returns (released, lease as found)."""
        for unused in range(MAX_RACES):
            current = self.leases.get(self.name)
            if current is None or describe(current, self._clock())["holder"] != self.holder:
                return False, current
            body = dict(current, spec=dict(current["spec"], holderIdentity="", leaseDurationSeconds=1,
                                           renewTime=format_time(self._clock())))
            intent = annotation_json(current, TRANSITION_ANNOTATION)
            if finished and intent is not None:
                body["metadata"] = copy.deepcopy(current["metadata"])
                body["metadata"]["annotations"][TRANSITION_ANNOTATION] = _dump(dict(intent, ended=True))
            try:
                self.leases.replace(body, dry_run=self.dry_run)
                return True, current
            except LostRace:
                continue
        return False, self.leases.get(self.name)

    def _body(self, current, now, renewal=False, takeover=None):
        stamp = format_time(now)
        metadata = {"name": self.name, "namespace": self.leases.namespace,
                    "labels": {"app.kubernetes.io/managed-by": "arcdata.sqlmi"}}
        spec = {"holderIdentity": self.holder, "leaseDurationSeconds": self.duration, "renewTime": stamp,
                "acquireTime": stamp, "leaseTransitions": 0}
        if current is not None:
            metadata = copy.deepcopy(current["metadata"])
            old = current.get("spec") or {}
            transitions = old.get("leaseTransitions") or 0
            spec.update(acquireTime=old.get("acquireTime") if renewal else stamp,
                        leaseTransitions=transitions if renewal else transitions + 1)
        annotations = metadata.setdefault("annotations", {})
        if self.purpose or not renewal:  # a renewal by a waiting module (no purpose) keeps the holder's purpose
            annotations[HOLDER_ANNOTATION] = self.purpose
        if not renewal:
            self._annotate_taking(annotations, current, takeover)
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}

    def _annotate_taking(self, annotations, current, takeover):
        """A new holder's annotations: the takeover (or none), and the intent: an unfinished one found on the Lease
        stays (the new holder inherits that transition), else this holder's."""
        found = annotation_json(current, TRANSITION_ANNOTATION)
        if takeover is not None:
            annotations[TAKEOVER_ANNOTATION] = _dump(takeover)
        else:
            annotations.pop(TAKEOVER_ANNOTATION, None)
        if found is not None and not found.get("ended"):
            return
        if self.intent is not None:
            annotations[TRANSITION_ANNOTATION] = _dump(self.intent)
        else:
            annotations.pop(TRANSITION_ANNOTATION, None)

    def _held(self, lease, why):
        state = describe(lease, self._clock())
        purpose = " for %s" % state["purpose"] if state["purpose"] else ""
        return LockHeld(
            "%s: the DR lock (%s) is held by %r%s since %s (%s): another operation on this DR pair is running; let it "
            "finish, or if that run died, run again: a lock that stays unchanged for its duration (%d s) is then taken "
            "over" % (self.leases.caller.site, self.leases.describe(self.name), state["holder"], purpose,
                      state["acquired_at"], why, state["duration_seconds"]),
            site=self.leases.caller.site, lock=state)


def _dump(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def renewal_heartbeat(leases, name, holder, duration, warn):
    """A Heartbeat (waiting.py) that renews the caller's DR lock every third of its duration while a module waits."""
    lock = DrLock(leases, name, holder, duration)
    return Heartbeat(lock.renewal_interval(), lambda: lock.renew_or_warn(warn))
