# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carrying out one transition of a DR pair against both sites, in one run on the control node.

    1. read both sites at once (a site that does not answer is reported, not fatal: a forced failover needs that)
    2. decide (failover_plan.py): a refusal here has written nothing
    3. take the DR lock (failover_lock.py: a Lease on the current primary's site) and keep renewing it until the
       end; the lock carries the transition's intent (transition_intent.py)
    4. write each role change (dag_side.py: settles, withdraws an abandoned switch, patches, waits by watching),
       while watching the other site at the same time for what the change must bring there
    5. write the handover record on every site that answers, then release the lock, marking the intent ended

A lock that a killed run left (held and unchanged for its duration, or released with a transition that did not
end) is taken over first, and that run's transition is finished (resume.py decides what is left) before anything
else; when it was of the mode asked for, that is the whole run.

Each step is timed; the result carries both sites' roles before and after and what their controllers said.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import connection, dag_status, dag_summary, failover_plan, handover, resume, transition_intent
from .failover_lock import PairLock, takeover_note
from .failover_site import kubernetes_site, open_pair_site
from .discarded_log import DiscardedLog, describe as describe_discarded
from .conditions import dag_role_for_its_generation, dag_synchronized_for_its_generation
from .errors import ArcError, InvalidInput
from .pair_sites import PairSite, link_unknown
from .retry import RetryPolicy
from .site import Site

# after a fence, how long the DR site gets to take the primary role by itself before it is forced (controllers
# that promote the partner of a demoted primary do so within a second or two)
TAKEOVER_GRACE_SECONDS = 10
# connection attempts before the first read of a site counts it as not answering (a write later retries as usual):
# a lost site is what a forced failover expects, and its decision should not wait out a write's patience
READ_UNREACHABLE_ATTEMPTS = 3
# a fence of a direct-mode site is a Resource Manager request that ends only when Resource Manager gives up on the
# site's cluster; a lost site must not hold the promotion back that long (its fence is then reported as not done)
DIRECT_FENCE_SECONDS = 15
# how often a wait checks whether the other site's step failed (it then stops, rather than wait out its timeout)
STOP_CHECK_SECONDS = 0.5


class Stopped(Exception):
    """A wait ended because the step it depended on failed."""


class _StopWatch(object):
    """A waiting.Heartbeat that ends a wait once `stop` is set (it cuts the watch into short windows for that)."""

    def __init__(self, stop):
        self.stop = stop

    @staticmethod
    def window_end(deadline):
        return min(deadline, time.monotonic() + STOP_CHECK_SECONDS)

    def beat_if_due(self):
        if self.stop.is_set():
            raise Stopped()


class LockKeeper(object):
    """Renews the DR lock every third of its duration, in the background, until stopped."""

    def __init__(self, lock, warn):
        self.lock, self.warn = lock, warn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dr-lock-renewal")
        self._thread.daemon = True

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    def _run(self):
        while not self._stop.wait(self.lock.renewal_interval()):
            self.lock.renew_or_warn(self.warn)  # the failover matters more than the renewal


class SiteHandle(object):
    """One site of the pair during the run: its PairSite (what was read) and its access (failover_site.py: the DAG
    side to change it, where its lock and records live)."""

    def __init__(self, pair_site, access=None):
        self.pair_site, self.access = pair_site, access
        self.side = access.side if access else None
        self.last = None  # the DAG object as last seen

    @property
    def name(self):
        return self.pair_site.name


class Failover(object):
    """One transition of one DR pair. `params` are arc_failover's options."""

    def __init__(self, params, check_mode=False, warn=None, diff=False):
        self.params, self.check_mode, self.diff = params, check_mode, diff
        self.warn = warn or (lambda text: None)
        self.steps = []
        self.handles = {}
        self.started_at = handover.now()
        self.result, self.roles_before = {}, {}
        self.discarded = None  # a rejoin: the transactions the returning site discarded, where reported

    # -- timing -------------------------------------------------------------------------------
    def _timed(self, step, work, site=None):
        started = time.monotonic()
        entry = {"step": step, "site": site, "seconds": None, "outcome": "failed"}
        self.steps.append(entry)
        try:
            value = work()
            entry["outcome"] = "done"
            return value
        finally:
            entry["seconds"] = round(time.monotonic() - started, 3)

    # -- 1. read ------------------------------------------------------------------------------
    def read_sites(self):
        options = self.params["sites"]
        # unusable connection options (a kubeconfig that does not exist, say) fail here, before any request
        sites = [kubernetes_site(o, lambda given: Site.connect(connection.with_fallbacks(given), label=given["name"]))
                 for o in options]
        with ThreadPoolExecutor(max_workers=len(options)) as pool:
            handles = list(pool.map(self._read, options, sites))
        self.handles = dict((h.name, h) for h in handles)
        return [h.pair_site for h in handles]

    def _read(self, options, site):
        if site is None:  # a direct-mode site reached through Azure Resource Manager only
            return self._read_with(options, site)
        patient = site.caller.policy
        site.caller.policy = RetryPolicy(max_unreachable_attempts=READ_UNREACHABLE_ATTEMPTS)
        try:
            return self._read_with(options, site)
        finally:
            site.caller.policy = patient

    def _read_with(self, options, site):
        def pair_site(dag=None, error=None):
            return PairSite(options["name"], options.get("instance"), options["dag_resource"], options.get("home_role"),
                            dag=dag, error=error)
        side_options = dict(api_kind=self.params["api_kind"], api_version=self.params["api_version"],
                            check_mode=self.check_mode, wait=True, wait_timeout=self.params["wait_timeout"],
                            warn=self.warn, diff=self.diff,
                            withdraw_abandoned=bool(options.get("withdraw_abandoned_switch")))
        try:
            access = open_pair_site(options, site, side_options, shared_name=self.params["dag_name"])
            obj = access.side.read()
            summary = dag_summary.summarize(obj, access.side.layout) if obj else None
            if summary is not None and access.direct:
                summary["handover"] = access.read_record(obj)
        except InvalidInput:
            raise  # options that cannot work: not a site that does not answer
        except ArcError as exc:  # the site does not answer, or serves no DAG kind
            return SiteHandle(pair_site(error=exc.message))
        handle = SiteHandle(pair_site(dag=summary), access)
        handle.last = obj
        return handle

    # -- the whole run ------------------------------------------------------------------------
    def run(self):
        """The result of the transition; a refusal or a failure is raised as an ArcError whose details carry the
        same report (steps, roles, sites) as a success."""
        self.result = {"changed": False, "mode": self.params["mode"], "pair": self.params["pair"],
                       "from_site": None, "to_site": None, "summary": None, "record": None, "lock": None,
                       "steps": self.steps}
        try:
            outcome, details = self._run()
        except ArcError as exc:
            for key, value in self._report().items():
                exc.details.setdefault(key, value)
            raise
        self.result["summary"] = details
        if outcome != "succeeded":
            raise ArcError(details, **self._report())
        return self._report()

    def _run(self):
        """(outcome, details) of the transition."""
        sites = self._timed("read both sites", self.read_sites)
        self.roles_before = self._roles()
        locks = PairLock(self.params, self.check_mode, self.warn)
        pending = self._timed("read the DR locks", lambda: locks.find(self.handles))
        if pending is not None and pending.intent is not None:
            outcome, details, failed_before = self._resume(locks, pending)
            if not failed_before and (pending.intent["mode"] == self.params["mode"] or outcome != "succeeded"):
                return outcome, details
            sites, pending = self._timed("read both sites", self.read_sites), None
        transition = failover_plan.plan(self.params["mode"], self.params["pair"], sites, self.params.get("confirm"),
                                        self.params["dag_name"])
        self.result.update(from_site=transition.from_site.name if transition.from_site else None,
                           to_site=transition.to_site.name if transition.to_site else None)
        if transition.nothing_to_do:
            return "succeeded", transition.nothing_to_do
        if self.params["mode"] in ("planned", "failback"):
            for note in link_unknown(sites):
                self.warn(note)
        return self._transition(locks, transition, pending.site if pending else transition.lock_site.name)

    def _transition(self, locks, transition, lock_site):
        intent = transition_intent.new(transition.mode, self.params["pair"], transition.from_site.name,
                                       transition.to_site.name, locks.holder, self.started_at,
                                       self.params.get("operator"), self.params.get("job"))
        lock = locks.make(self.handles[lock_site], intent)
        self.result["lock"] = self._timed("take the DR lock", lambda: locks.take(lock), lock_site)
        self.result["changed"] = True
        if (self.result["lock"]["transition"] or {}).get("id") != intent["id"]:
            # a run holding the lock was killed while this one waited for it: its transition comes first
            locks.release(lock, finished=False)
            raise failover_plan.Refusal("%s of %s stopped before any role change: the DR lock it took over carries "
                                        "the interrupted %s; run again to finish that first" % (
                                            failover_plan.describe_mode(self.params["mode"]), self.params["pair"],
                                            transition_intent.describe(self.result["lock"]["transition"])))
        finished, outcome = False, "failed"
        try:
            with LockKeeper(lock, self.warn):
                outcome, details = self._carry_out(transition)
                self.result["record"], finished = self._record(
                    transition, outcome, details, intent["id"], takeover_note(self.result["lock"]["taken_over"]))
        finally:
            self._release(locks, lock, finished, outcome == "succeeded", lock_site)
        return outcome, details

    def _release(self, locks, lock, ended, succeeded, site):
        """Release the lock at the end of a transition, its intent marked ended when the transition ended (recorded
        on every site that answers); with keep_lock, a transition that ended and succeeded keeps the lock held, its
        intent not ended, for the caller's next run to release."""
        if ended and succeeded and self.params.get("keep_lock") and not self.check_mode:
            self.result["lock"]["kept"] = True
            return
        self._timed("release the DR lock", lambda: locks.release(lock, ended), site)

    # -- an interrupted transition ------------------------------------------------------------
    def _resume(self, locks, pending):
        """Finish the transition a killed run left on the lock `pending` (failover_lock.PendingLock): take the lock
        (watching it until it is stale when it is still held), read both sites again, roll the transition forward
        (resume.py), record it with its own id. Returns (outcome, details, whether it had ended as failed: then only its
        record was copied, and the run carries out the transition asked for)."""
        intent = pending.intent
        lock = locks.make(self.handles[pending.site], intent)
        self.result["lock"] = self._timed("take the DR lock", lambda: locks.take(lock), pending.site)
        self.result["changed"] = True
        intent = self.result["lock"]["transition"] or intent
        finished, outcome, kept = False, "failed", False
        try:
            with LockKeeper(lock, self.warn):
                sites = self._timed("read both sites", self.read_sites)
                left = resume.decide(intent, sites)
                self.result.update(from_site=intent["from_site"], to_site=intent["to_site"],
                                   resumed={"transition": intent, "state": left.state,
                                            "roles_done": left.roles_done, "record_on": left.record_on})
                if left.failed:  # it ended: only its record is copied where it is missing
                    self.result["record"], finished = self._record(
                        resume.as_transition(intent, sites), left.record["outcome"], left.record.get("details"),
                        intent["id"], found=left.record, intent=intent)
                    return left.record["outcome"], left.state, True
                kept = left.finished and intent.get("holder") == locks.holder  # kept by keep_lock: released now
                if not kept:
                    self.warn("finishing the interrupted %s: %s; %s" % (
                        transition_intent.describe(intent), left.state, "recording it" if left.roles_done else
                        "rolling it forward"))
                outcome, details = ("succeeded", _details_of(left.record) or "roles already changed") \
                    if left.roles_done else self._carry_out(left.transition)
                if not kept:
                    details = "%s (finished by %s after the run of %s was interrupted)" % (
                        details, locks.holder, intent.get("holder") or "another operator")
                self.result["record"], finished = self._record(
                    left.transition or resume.as_transition(intent, sites), outcome, details, intent["id"],
                    takeover_note(self.result["lock"]["taken_over"]), left.record, intent)
        finally:
            self._release(locks, lock, finished, outcome == "succeeded", pending.site)
        return outcome, details, False

    def _report(self):
        report = dict(self.result, started=self.started_at, finished=handover.now(),
                      roles={"before": self.roles_before, "after": self._roles()})
        report["sites"] = dict((name, dag_summary.summarize(h.last, h.side.layout) if h.last and h.side else None)
                               for name, h in self.handles.items())
        report["controller_messages"] = dict(
            (name, _controller_message(h.last)) for name, h in self.handles.items() if h.last)
        if self.diff and report["changed"]:
            report["diff"] = self._diff()
        return report

    def _roles(self):
        return dict((name, dag_status.role(h.last) if h.pair_site.reachable else None)
                    for name, h in self.handles.items())

    # -- 4. the role changes ------------------------------------------------------------------
    def _carry_out(self, transition):
        """(outcome, details) of the transition's writes and waits."""
        return {"planned": self._switch, "failback": self._switch, "forced": self._force,
                "rejoin": self._rejoin}[transition.mode](transition)

    def _write(self, write):
        handle = self.handles[write.site.name]
        result = handle.side.present({"role": write.role, "sync_mode": write.sync_mode})
        handle.last = result.get("resource") or handle.last
        return result

    def _await(self, site, condition, stop=None, timeout=None):
        handle = self.handles[site.name]
        side = handle.side
        if self.check_mode:
            return handle.last
        heartbeat = _StopWatch(stop) if stop is not None else None
        saved = side.heartbeat, side.wait_timeout
        side.heartbeat, side.wait_timeout = heartbeat, timeout or side.wait_timeout
        try:
            handle.last = side.wait_until(condition)
        finally:
            side.heartbeat, side.wait_timeout = saved
        return handle.last

    def _together(self, first, second):
        """Run `first` (a write and its wait) and `second` (a wait on the other site) at the same time, each called
        with a stop event that is set as soon as either fails: a wait given it ends then (the write itself always
        runs to its end). Returns ((value, error), (value, error)); error "not started" for a wait so stopped."""
        stop = threading.Event()

        def guarded(work):
            try:
                return work(stop)
            except Exception:
                stop.set()
                raise

        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(guarded, first), pool.submit(guarded, second)]
            return [_outcome(f) for f in futures]

    def _switch(self, transition):
        old, new = transition.from_site, transition.to_site
        write = transition.writes[0] if transition.writes else None  # none: asked for by a run that was killed
        (switched, switch_error), (unused, promote_error) = self._together(
            lambda stop: self._timed("switch", lambda: self._write(write), old.name) if write else None,
            lambda stop: self._timed("await the primary role", lambda: self._await(
                new, dag_role_for_its_generation("Primary"), stop), new.name))
        if switch_error is None and promote_error is None:
            seconds = ((switched or {}).get("failover") or {}).get("duration_seconds")
            details = "check mode: nothing was changed" if self.check_mode else \
                "switched in %s s without data loss" % seconds if seconds is not None else \
                "switched without data loss"
            return "succeeded", details
        return "failed", "%s of %s from %s to %s failed: the handover did not complete: %s setting role secondary: " \
            "%s; %s taking the primary role: %s" % (
                failover_plan.describe_mode(transition.mode), self.params["pair"], old.name, new.name, old.name,
                _step_state(switch_error), new.name, _step_state(promote_error))

    def _force(self, transition):
        old, new = transition.from_site, transition.to_site
        fenced, fence_error = False, transition.fence_error
        for write in transition.writes:
            if write.step == "fence":
                try:
                    self._timed("fence", lambda: self._fence(write), old.name)
                    fenced = True
                except ArcError as exc:  # the promotion matters more: go on, and say it was not fenced
                    fence_error = exc.message
                if fenced and not self.check_mode:
                    self._grace(new)
                continue
            try:
                self._timed("promote", lambda: self._write(write), new.name)
            except ArcError as exc:
                raise ArcError("forced failover of %s failed: promoting %s: %s" % (
                    self.params["pair"], new.name, exc.message), **_details(exc))
        if self.check_mode:
            return "succeeded", "check mode: nothing was changed"
        return "succeeded", "old primary fenced with force-secondary" if fenced else \
            "old primary NOT fenced (%s): it may come back as a second primary; run dr_rejoin then" % (
                fence_error or "its site did not answer")

    def _fence(self, write):
        """The fence write; on a direct-mode site bounded by DIRECT_FENCE_SECONDS (the request and its wait)."""
        side = self.handles[write.site.name].side
        arc_data = getattr(side, "arc_data", None)
        if arc_data is None:
            return self._write(write)
        saved = arc_data.timeout, side.wait_timeout
        arc_data.timeout = side.wait_timeout = min(saved[1], DIRECT_FENCE_SECONDS)
        try:
            return self._write(write)
        finally:
            arc_data.timeout, side.wait_timeout = saved

    def _grace(self, new):
        """A fenced primary's partner may take the primary role by itself: give it a moment, by watching."""
        try:
            self._timed("await the DR site taking over", lambda: self._await(
                new, dag_role_for_its_generation("Primary"), timeout=TAKEOVER_GRACE_SECONDS), new.name)
        except ArcError:
            pass  # not by itself (or its site stopped answering): the promotion that follows says which

    def _rejoin(self, transition):
        old, keep = transition.from_site, transition.to_site
        write = transition.writes[0] if transition.writes else None  # none: demoted by a run that was killed
        discards = self._discarded_log(old) if write else None

        def demote_and_connect(stop):
            if discards:
                discards.before()
            if write:
                self._timed("demote", lambda: self._write(write), old.name)
            return self._timed("await the link", lambda: self._await(
                old, dag_synchronized_for_its_generation(), stop), old.name)

        (unused, demote_error), (unused, keep_error) = self._together(
            demote_and_connect,
            lambda stop: self._timed("await the link", lambda: self._await(
                keep, dag_synchronized_for_its_generation(), stop), keep.name))
        if discards:
            self.discarded = discards.count()
        if demote_error is None and keep_error is None:
            return "succeeded", "check mode: nothing was changed" if self.check_mode else \
                "%s rejoined as secondary; %s kept; %s" % (old.name, keep.name, describe_discarded(self.discarded))
        # the error that ended the rejoin, not the wait it stopped
        error = next((e for e in (demote_error, keep_error) if e not in (None, "not started")), "not started")
        demoted = write is None or any(s["step"] == "demote" and s["outcome"] == "done" for s in self.steps)
        if demoted:  # the roles changed: the record says so, and that the link did not come back in time
            return "failed", "rejoin of %s failed after %s was demoted (%s kept): %s" % (
                self.params["pair"], old.name, keep.name, _step_state(error))
        raise ArcError("rejoin of %s failed: %s" % (self.params["pair"], _step_state(error)), **_details(error))

    def _discarded_log(self, pair_site):
        """Where the rejoining site's controller reports the transactions it discards (not in check mode)."""
        instance = self._instance(pair_site)
        events = self.handles[pair_site.name].access.events()
        if self.check_mode or not instance or events is None:
            return None
        return DiscardedLog(events, instance, self.warn)

    # -- 5. the handover record ---------------------------------------------------------------
    def _record(self, transition, outcome, details, transition_id, takeover=None, found=None, intent=None):
        """Write the handover record of the transition on every site that answers; `found`: the record of this
        transition already on a site (copied, not made anew); `intent`: the transition's intent when this run finishes
        another run's (its operator and job are the record's). Returns (record, whether every such site has it)."""
        record = dict(found, lock_takeover=found.get("lock_takeover") or takeover) if found else handover.build(
            mode=transition.mode, from_site=transition.from_site.name, to_site=transition.to_site.name,
            from_instance=self._instance(transition.from_site), to_instance=self._instance(transition.to_site),
            operator=(intent or self.params).get("operator"), job=(intent or self.params).get("job"),
            outcome=outcome, details=details, discarded_transactions=self.discarded, transition=transition_id,
            lock_takeover=takeover)
        if outcome != "succeeded" and transition.mode == "forced":
            return record, True  # a forced failover that failed raised before it changed a role, and records nothing
        targets = [h for h in self.handles.values() if h.pair_site.reachable and h.pair_site.dag is not None]
        failed = []

        def write_one(handle):
            handle.access.write_record(record, dry_run=self.check_mode)

        def write_all():
            with ThreadPoolExecutor(max_workers=2) as pool:
                outcomes = [_outcome(f) for f in [pool.submit(write_one, h) for h in targets]]
            for handle, (unused, error) in zip(targets, outcomes):
                if error is not None:
                    failed.append(handle.name)
                    self.warn("the handover record could not be written on %s: %s; the next run of a failover of "
                              "this pair writes it" % (handle.name, error))
        self._timed("record the handover", write_all)
        return record, not failed

    def _instance(self, pair_site):
        return pair_site.instance or (pair_site.dag or {}).get("local_instance")

    def _diff(self):
        before, after = {}, {}
        for name, handle in self.handles.items():
            diff = (handle.side.result.get("diff") if handle.side else None) or {}
            if diff:
                before[name], after[name] = diff["before"], diff["after"]
        return {"before": before, "after": after}


def _controller_message(obj):
    status = (obj or {}).get("status") or {}
    return status.get("message") or status.get("results") or ""


def _details_of(record):
    return (record or {}).get("details")


def _outcome(future):
    try:
        return future.result(), None
    except Stopped:
        return None, "not started"
    except ArcError as exc:
        return None, exc
    except Exception as exc:  # pylint: disable=broad-except
        return None, ArcError("unexpected error: %s" % exc)


def _step_state(error):
    if error is None:
        return "done"
    if isinstance(error, str):
        return error
    return "FAILED, %s" % error.message


REPORTED_DETAILS = ("site", "object", "field", "expected", "seen", "elapsed", "reason")


def _details(error):
    if isinstance(error, ArcError):
        return dict((k, v) for k, v in error.details.items() if k in REPORTED_DETAILS)
    return {}
