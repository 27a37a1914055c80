# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR lock: one operator at a time per DR pair, as a coordination.k8s.io/v1 Lease.

A failover holds the pair's Lease on one site (the roles pick the current primary's site) and
renews it while it waits. A second failover finds it held and fails at once, naming the holder
and since when. A Lease whose holder stopped renewing (a crashed run) is free once
renewTime + leaseDurationSeconds has passed, and is taken over with the takeover reported.
Expiry is judged with this machine's clock against the holder's renewTime, so clocks must agree
within a few seconds (as they must for Kubernetes leader election's observers too).

Every write is a create or a replace at the resourceVersion just read: of two runs racing for
a free or expired Lease exactly one write succeeds; the other re-reads and finds it held.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import re

from .errors import ArcError
from .leases import LostRace
from .waiting import Heartbeat

HOLDER_ANNOTATION = "arcdata.sqlmi/purpose"
MAX_RACES = 5


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
            "expired": expires is None or expires <= now}


class DrLock(object):
    """The pair's Lease at one site, for one holder."""

    def __init__(self, leases, name, holder, duration, purpose="", dry_run=False, clock=now_utc):
        self.leases, self.name, self.holder, self.duration = leases, name, holder, duration
        self.purpose, self.dry_run, self._clock = purpose, dry_run, clock

    def acquire(self):
        """Take or renew the Lease. Returns (lease, previous): the Lease written and the state of the one found
        before (None when there was none; an expired or released one was taken over, ours was renewed).
        Raises LockHeld naming the holder when someone else holds it."""
        for unused in range(MAX_RACES):
            current = self.leases.get(self.name)
            try:
                return self._acquire_from(current)
            except LostRace:
                continue  # someone wrote it meanwhile: judge again from a fresh read
        raise ArcError("%s: %s kept changing under us (%d attempts): another run is contending for the DR lock"
                       % (self.leases.caller.site, self.leases.describe(self.name), MAX_RACES))

    def _acquire_from(self, current):
        now = self._clock()
        if current is None:
            return self.leases.create(self._body(None, now), dry_run=self.dry_run), None
        previous = describe(current, now)
        renewal = previous["holder"] == self.holder
        if previous["holder"] and not renewal and not previous["expired"]:
            raise self._held(previous, now)
        return self.leases.replace(self._body(current, now, renewal), dry_run=self.dry_run), previous

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
        another run took over after it expired, is reported with `warn(text)` rather than raised."""
        try:
            found = self.renew()
        except ArcError as exc:
            warn("could not renew the DR lock %s: %s" % (self.name, exc.message))
            return
        if found not in (self.holder, ""):
            warn("the DR lock %s is now held by %r: it expired while this run waited" % (self.name, found))

    def release(self):
        """Give the Lease up if we hold it (an empty holder, as client-go's ReleaseOnCancel leaves it); returns
        (released, lease as found)."""
        for unused in range(MAX_RACES):
            current = self.leases.get(self.name)
            if current is None or describe(current, self._clock())["holder"] != self.holder:
                return False, current
            body = dict(current, spec=dict(current["spec"], holderIdentity="", leaseDurationSeconds=1,
                                           renewTime=format_time(self._clock())))
            try:
                self.leases.replace(body, dry_run=self.dry_run)
                return True, current
            except LostRace:
                continue
        return False, self.leases.get(self.name)

    def _body(self, current, now, renewal=False):
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
        if self.purpose or not renewal:  # a renewal by a waiting module (no purpose) keeps the holder's purpose
            metadata.setdefault("annotations", {})[HOLDER_ANNOTATION] = self.purpose
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}

    def _held(self, state, now):
        renewed = parse_time(state["renewed_at"])
        expires = parse_time(state["expires_at"])
        purpose = " for %s" % state["purpose"] if state["purpose"] else ""
        return LockHeld(
            "%s: the DR lock (%s) is held by %r%s since %s (renewed %s ago, expires in %s unless renewed): another "
            "operation on this DR pair is running; let it finish, or if that run died, run again after the lock "
            "expires" % (self.leases.caller.site, self.leases.describe(self.name), state["holder"], purpose,
                         state["acquired_at"], _seconds(now - renewed) if renewed else "?",
                         _seconds(expires - now) if expires else "?"),
            site=self.leases.caller.site, lock=state)


def _seconds(delta):
    return "%d s" % max(0, int(delta.total_seconds()))


def renewal_heartbeat(leases, name, holder, duration, warn):
    """A Heartbeat (waiting.py) that renews the caller's DR lock every third of its duration while a module waits."""
    lock = DrLock(leases, name, holder, duration)
    return Heartbeat(lock.renewal_interval(), lambda: lock.renew_or_warn(warn))
