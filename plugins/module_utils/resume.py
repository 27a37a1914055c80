# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is left of a transition that a killed run did not finish, decided from what the sites report now.

Pure functions. The transition's intent (transition_intent.py, from the DR lock) says which transition it was and
between which sites; the roles and the handover records on the sites say how far it got. It is always rolled
forward, never back, and never with a second switch:

    planned / failback  the old primary still Primary, no switch asked for   ask for the switch (as a new run would)
                        the switch asked for (spec.role secondary), or the   await the new primary (its controller
                        old primary already Secondary                        promotes it)
                        the new primary Primary, the old one Secondary       record only
    forced              the DR site not yet Primary                          fence the old primary if it answers as
                                                                             Primary, then promote the DR site
                        the DR site Primary                                  record only (a returning old primary is
                                                                             left to dr_rejoin)
    rejoin              the demoted site still Primary                       demote it and await the link
                        it is Secondary                                      await the link, then record

The record goes to every site that answers and lacks the record of this transition (the records carry the
transition id); when one site has it, that record is copied, else one is made. A transition whose record says it
failed has ended: its record is copied where it is missing, and nothing is rolled forward (the run then carries
out the transition asked for, as a new one). Two primaries in a planned
transition, or a site the transition needs that does not answer, stop the roll-forward with a Refusal that says
what to do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .failover_plan import FORCE_PRIMARY, FORCE_SECONDARY, Refusal, Transition, Write, describe_mode
from .pair_sites import health_problems
from .transition_intent import describe


class Resumption(object):
    """What is left: `transition` (failover_plan.Transition whose writes are the role changes still to ask for;
    None when the roles are where the transition leads), `record_on` (names of the sites that answer and lack the
    record), `record` (the record of this transition found on a site, to copy; None: make one), `state` (how far
    the transition got, in words)."""

    def __init__(self, intent, state, transition=None, record_on=(), record=None):
        self.intent, self.state, self.transition = intent, state, transition
        self.record_on, self.record = list(record_on), record

    @property
    def failed(self):
        """Whether the transition ended as failed (its record says so): it is only recorded, not rolled forward."""
        return bool(self.record) and self.record.get("outcome") != "succeeded"

    @property
    def roles_done(self):
        return self.transition is None

    @property
    def finished(self):
        return self.roles_done and not self.record_on


def record_of(site, transition_id):
    """The handover record of the transition on this site, or None."""
    record = (site.dag or {}).get("handover") if site.reachable else None
    return record if record and record.get("transition") == transition_id else None


def decide(intent, sites):
    """The Resumption of the transition `intent` for the two PairSites as read now, or a Refusal."""
    by_name = dict((s.name, s) for s in sites)
    old, new = by_name.get(intent.get("from_site")), by_name.get(intent.get("to_site"))
    if old is None or new is None:
        raise _refuse(intent, ["it names sites %s and %s, and this pair's sites are %s" % (
            intent.get("from_site"), intent.get("to_site"), ", ".join(sorted(by_name)))])
    found = next((r for r in (record_of(s, intent["id"]) for s in (old, new)) if r), None)
    record_on = [s.name for s in (old, new) if s.reachable and s.dag is not None and record_of(s, intent["id"]) is None]
    if found and found.get("outcome") != "succeeded":
        return Resumption(intent, "it ended %s (%s)" % (found.get("outcome"), found.get("details") or "no details"),
                          None, record_on, found)
    state, transition = {"planned": _planned, "failback": _planned, "forced": _forced,
                         "rejoin": _rejoin}[intent["mode"]](intent, list(sites), old, new)
    return Resumption(intent, state, transition, record_on, found)


def _planned(intent, sites, old, new):
    if not new.reachable:
        raise _refuse(intent, ["%s, which takes the primary role, does not answer (%s): once it answers, run "
                               "again; if it is lost, run a forced failover" % (new.label, new.error)])
    if new.is_primary and (not old.reachable or not old.is_primary):
        return "%s is primary" % new.name, None
    if old.is_primary and new.is_primary:
        raise _refuse(intent, ["both sites are primary: run dr_rejoin, which keeps the one the last handover "
                               "record names"])
    if not old.reachable:
        raise _refuse(intent, ["%s does not answer (%s) and %s is not primary: once it answers, run again; if it is "
                               "lost, run a forced failover" % (old.label, old.error, new.label)])
    switch = Write(old, "secondary", step="switch")
    if old.is_primary and (old.dag or {}).get("spec_role") != "secondary":
        problems = health_problems(sites)
        if problems:
            raise _refuse(intent, ["the switch was not asked for yet, and it cannot be now: %s" % "; ".join(problems)])
        return "the switch was not asked for yet", Transition(intent["mode"], old, new, [switch])
    if old.is_primary:  # asked for, not carried out yet: the same write again finds it (or withdraws an abandoned one)
        return "the switch was asked for, %s is still primary" % old.name, Transition(intent["mode"], old, new,
                                                                                      [switch])
    return "%s is %s, %s not primary yet" % (old.name, old.role or "without a role", new.name), \
        Transition(intent["mode"], old, new)


def _forced(intent, sites, old, new):
    if new.reachable and new.is_primary:
        return "%s is primary" % new.name, None
    if not new.reachable or new.dag is None:
        raise _refuse(intent, ["%s, the DR site to promote, does not answer or has no DAG resource (%s)" % (
            new.label, new.error or "none")])
    writes = []
    if old.reachable and old.is_primary:
        writes.append(Write(old, FORCE_SECONDARY, step="fence"))
    writes.append(Write(new, FORCE_PRIMARY, sync_mode="async", step="promote"))
    return "%s is not primary yet" % new.name, Transition(intent["mode"], old, new, writes)


def _rejoin(intent, sites, old, new):
    if not (new.reachable and new.is_primary):
        raise _refuse(intent, ["%s, the site the rejoin keeps, is not primary (%s)" % (
            new.label, new.describe_role())])
    if not old.reachable or old.dag is None:
        raise _refuse(intent, ["%s, the site the rejoin demotes, does not answer or has no DAG resource (%s)" % (
            old.label, old.error or "none")])
    if old.is_primary:
        return "%s is still primary" % old.name, Transition(
            intent["mode"], old, new, [Write(old, FORCE_SECONDARY, step="demote")])
    if all((s.dag or {}).get("connected") for s in (old, new)):
        return "%s is secondary and connected" % old.name, None
    return "%s is secondary, the link not yet back" % old.name, Transition(intent["mode"], old, new)


def as_transition(intent, sites):
    """The Transition the intent names, without writes (what a record of it needs: mode and sites)."""
    by_name = dict((s.name, s) for s in sites)
    return Transition(intent["mode"], by_name[intent["from_site"]], by_name[intent["to_site"]])


def _refuse(intent, problems):
    return Refusal("the interrupted %s cannot be finished now: %s" % (describe(intent), "; ".join(problems)),
                   problems=problems, transition=intent.get("id"), mode=describe_mode(intent.get("mode")))
