# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pair's DR lock as one run of arc_failover uses it: where it is, taking it, releasing it.

The lock is a Lease (or, in direct mode without a kubeconfig, a tag) on one site. A run takes it on the current
primary's site, unless a site already has one that is held, or that carries a transition that did not end: the run
then takes that one, so that a run that was killed is found wherever its lock is (the primary may have moved since
it took the lock), and the transition it left is finished first (resume.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

from . import failover_plan, transition_intent
from .dr_lock import DrLock, LockHeld, TRANSITION_ANNOTATION, annotation_json
from .errors import ArcError


class PendingLock(object):
    """A site's lock found held, or released with a transition that did not end: `site` (its name), `lease` and
    `intent` (the unfinished transition's, or None)."""

    def __init__(self, site, lease):
        self.site, self.lease = site, lease
        intent = annotation_json(lease, TRANSITION_ANNOTATION)
        self.intent = intent if transition_intent.unfinished(intent) else None

    @property
    def held(self):
        return bool(((self.lease or {}).get("spec") or {}).get("holderIdentity"))


class PairLock(object):
    """The DR lock of one run: `params` are arc_failover's options, `handles` the sites as read (by name)."""

    def __init__(self, params, check_mode=False, warn=None):
        self.params, self.check_mode = params, check_mode
        self.warn = warn or (lambda text: None)
        self.name = params.get("dr_lock_name") or default_lock_name(params["dag_name"])
        self.holder = params.get("dr_lock_holder") or "%s%s, run %08x" % (
            params.get("operator") or "unknown", ", AWX job %s" % params["job"] if params.get("job") else "",
            random.getrandbits(32))

    def find(self, handles):
        """The PendingLock of the pair (a held one first), or None. Sites that do not answer are skipped."""
        found = []
        for name in sorted(handles):
            handle = handles[name]
            if handle.access is None:
                continue
            lease = handle.access.lock_store(self.holder)[0].get(self.name)
            pending = PendingLock(name, lease) if lease is not None else None
            if pending is not None and (pending.held or pending.intent):
                found.append(pending)
        found.sort(key=lambda p: not p.held)
        return found[0] if found else None

    def make(self, handle, intent):
        """The DrLock on the site `handle` (failover.SiteHandle), carrying `intent` when taken."""
        leases, clock = handle.access.lock_store(self.holder)
        purpose = "%s of %s" % (failover_plan.describe_mode(intent["mode"]), self.params["pair"])
        return DrLock(leases, self.name, self.holder, self.params["dr_lock_duration"], purpose=purpose,
                      dry_run=self.check_mode, clock=clock, intent=intent)

    def take(self, lock):
        """Take the lock; the result's `lock` entry (name, holder, site, taken_over, transition). A live holder
        makes it a failover_plan.Refusal naming the holder."""
        try:
            lease, previous = lock.acquire()
        except LockHeld as exc:
            raise failover_plan.Refusal("%s of %s refused, nothing was changed: %s" % (
                failover_plan.describe_mode(self.params["mode"]), self.params["pair"], exc.message), **exc.details)
        # a released lock (empty holder) is simply taken; a holder that stopped renewing is taken over
        taken_over = previous if previous and previous["holder"] and previous["holder"] != lock.holder else None
        if taken_over:
            self.warn(takeover_warning(self.params["pair"], lock.name, taken_over))
        intent = annotation_json(lease, TRANSITION_ANNOTATION)
        return {"name": lock.name, "holder": lock.holder, "site": lock.leases.caller.site, "taken_over": taken_over,
                "transition": intent if intent is not None else lock.intent}

    def release(self, lock, finished):
        try:
            lock.release(finished=finished)
        except ArcError as exc:
            self.warn("the DR lock %s could not be released (%s); another run takes it over once it has stayed "
                      "unchanged for %s s" % (lock.name, exc.message, lock.duration))


def takeover_warning(pair, name, taken_over):
    return "took over the DR lock of %s (%s) from %r%s (holding it since %s): it stayed unchanged for %s s while this " \
        "run watched it, so that run stopped renewing it" % (
            pair, name, taken_over["holder"], " for %s" % taken_over["purpose"] if taken_over.get("purpose") else "",
            taken_over["acquired_at"], taken_over.get("observed_unchanged_seconds", "?"))


def takeover_note(taken_over):
    """The takeover, in one line for the handover record, or None."""
    if not taken_over:
        return None
    return "took the DR lock over from %r (%s), unchanged for %s s" % (
        taken_over["holder"], taken_over.get("purpose") or "no purpose given",
        taken_over.get("observed_unchanged_seconds", "?"))


def default_lock_name(dag_name):
    return "arcdata-sqlmi-dr-%s" % dag_name.lower()
