# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a DR pair's transition is, decided from what both sites report, before anything is written.

Pure functions: from the two sites as read (PairSite) and the mode asked for, either a Transition (which site
gives the primary role up, which takes it, what is written on each, what is awaited, where the DR lock is held),
a Transition with nothing to do, or a Refusal that says why, naming the sites and what they reported.

    planned   both sites answer, exactly one primary, both DAG sides connected and healthy; role secondary on
              the primary (a switch without data loss), then await the other site's Primary role
    failback  a planned failover back to the site whose home role is primary; nothing to do when it is primary
    forced    the confirmation equals the DAG name, and a site that answers is not primary; fence the old
              primary with force-secondary where it answers, then promote the other with
              force-primary-allow-data-loss and async commit
    rejoin    two primaries and a successful handover record that names one of them; demote the other with
              force-secondary, then await both sides connected; nothing to do with fewer than two primaries
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from . import handover
from .errors import ArcError
from .pair_sites import health_problems, primaries

MODES = ["planned", "failback", "forced", "rejoin"]
HOME_ROLES = ["primary", "secondary"]
FORCE_PRIMARY = "force-primary-allow-data-loss"
FORCE_SECONDARY = "force-secondary"


class Refusal(ArcError):
    """The transition is refused; nothing was written."""


class Write(object):
    """One role change on one site: `role` (and `sync_mode`) written to its DAG resource."""

    def __init__(self, site, role, sync_mode=None, step=None):
        self.site, self.role, self.sync_mode = site, role, sync_mode
        self.step = step or role


class Transition(object):
    """The decided transition. `nothing_to_do` is a message when the pair is already where the mode leads."""

    def __init__(self, mode, from_site=None, to_site=None, writes=(), lock_site=None, nothing_to_do=None,
                 fence_error=None):
        self.mode, self.from_site, self.to_site = mode, from_site, to_site
        self.writes, self.lock_site, self.nothing_to_do = list(writes), lock_site, nothing_to_do
        self.fence_error = fence_error


def _refuse(mode, pair, problems):
    return Refusal("%s of %s refused, nothing was changed: %s" % (describe_mode(mode), pair, "; ".join(problems)),
                   problems=problems)


def describe_mode(mode):
    return "%s failover" % mode if mode in ("planned", "forced") else mode


def lock_site(sites):
    """Where the DR lock is held: the current primary's site, or with no primary answering, the first site
    that answers."""
    candidates = primaries(sites) + [s for s in sites if s.reachable]
    return candidates[0] if candidates else None


def plan(mode, pair, sites, confirm=None, dag_name=None):
    """The Transition of `mode` for the two PairSites, or a Refusal."""
    if mode not in MODES:
        raise ValueError("unknown mode %r; known: %s" % (mode, ", ".join(MODES)))
    return {"planned": _planned, "failback": _failback, "forced": _forced, "rejoin": _rejoin}[mode](
        mode, pair, list(sites), confirm, dag_name)


def _planned(mode, pair, sites, confirm, dag_name):
    problems = health_problems(sites)
    if problems:
        raise _refuse(mode, pair, problems)
    old = primaries(sites)[0]
    new = next(s for s in sites if s is not old)
    return Transition(mode, old, new, [Write(old, "secondary", step="switch")], lock_site=old)


def _failback(mode, pair, sites, confirm, dag_name):
    homes = [s for s in sites if s.home_role == "primary"]
    if len(homes) != 1:
        raise _refuse(mode, pair, ["the home primary is not known: exactly one site must have home role primary "
                                   "(arc_initial_role), found %s" % (", ".join(s.name for s in homes) or "none")])
    home = homes[0]
    if [s.name for s in primaries(sites)] == [home.name] and home.reachable:
        return Transition(mode, None, home, nothing_to_do="%s is already the primary site, nothing to fail back"
                          % home.name)
    transition = _planned(mode, pair, sites, confirm, dag_name)
    return transition


def _forced(mode, pair, sites, confirm, dag_name):
    if not confirm or confirm != dag_name:
        raise _refuse(mode, pair, [
            "it loses the transactions the DR site has not received. confirm is %s; set it to the DAG name %r to "
            "confirm (with the failover_forced playbook: -e dr_failover_confirm=%s)"
            % ("%r" % confirm if confirm else "not set", dag_name, dag_name)])
    candidates = [s for s in sites if s.reachable and s.dag is not None and not s.is_primary]
    if not candidates:
        answering = [s.name for s in sites if s.reachable]
        problems = ["no site that answers is a secondary to promote (answering: %s; primary: %s; %s)" % (
            ", ".join(answering) or "none", ", ".join(s.name for s in primaries(sites)) or "none",
            ", ".join(s.describe_role() for s in sites))]
        if len(primaries(sites)) > 1:
            problems.append("both sites are primary: run dr_rejoin, which keeps the one the last handover record "
                            "names")
        raise _refuse(mode, pair, problems)
    new = candidates[0]
    old = next(s for s in sites if s is not new)
    writes = []
    fence_error = None
    if old.reachable and old.is_primary:
        writes.append(Write(old, FORCE_SECONDARY, step="fence"))
    else:
        fence_error = old.error if not old.reachable else None
    writes.append(Write(new, FORCE_PRIMARY, sync_mode="async", step="promote"))
    return Transition(mode, old, new, writes, lock_site=lock_site(sites), fence_error=fence_error)


def _rejoin(mode, pair, sites, confirm, dag_name):
    found = primaries(sites)
    if len(found) < 2:
        return Transition(mode, nothing_to_do="%d primary site(s), nothing to rejoin" % len(found))
    record = latest_record(sites)
    names = [s.name for s in found]
    if not record or record.get("outcome") != "succeeded" or record.get("to_site") not in names:
        raise _refuse(mode, pair, [
            "both sites are primary and no successful handover record names the one to keep (latest record: %s). "
            "Decide which site holds the data to keep and demote the other with arcdata.sqlmi.arc_dag "
            "role=force-secondary" % (record or "none")])
    keep = next(s for s in found if s.name == record["to_site"])
    demote = next(s for s in found if s is not keep)
    return Transition(mode, demote, keep, [Write(demote, FORCE_SECONDARY, step="demote")], lock_site=keep)


def latest_record(sites):
    """The most recent handover record on either site's DAG resource, or None."""
    return handover.latest([(s.dag or {}).get("handover") for s in sites])
