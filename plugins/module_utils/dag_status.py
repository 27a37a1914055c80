# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a DAG side's status reads, on every Arc controller.

Real controllers differ in what a FailoverGroup's (or a 2022-era Dag's) status carries: some report only
state, results, role and lastUpdateTime; later ones add healthState, replicas and message; none of the samples
found reports observedGeneration. So nothing here needs a field that not every controller writes:
- words (state, role) are compared without regard to case, as `az` does;
- the link is judged from status.replicas where they are reported, and is unknown (None) otherwise;
- "the controller has handled my write" is observedGeneration where reported, and otherwise a status written
  since (any change of the status the write returned);
- a failure's cause is read from status.message, then status.results.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ROLES = {"primary": "Primary", "secondary": "Secondary", "unknown": "Unknown"}


def status(obj):
    return (obj or {}).get("status") or {}


def state(obj):
    """status.state lower-cased ('succeeded', 'failed', 'updating', ...), or None."""
    value = status(obj).get("state")
    return str(value).lower() if value else None


def role(obj):
    """status.role as 'Primary', 'Secondary' or 'Unknown' (whatever its case), another value as it is, or None."""
    value = status(obj).get("role")
    return ROLES.get(str(value).lower(), value) if value else None


def link(obj):
    """True when every replica the status lists is CONNECTED, False when one is not, None when the controller
    reports no replicas (the link's state is then unknown: never assumed up)."""
    replicas = status(obj).get("replicas") or []
    if not replicas:
        return None
    return all(str(r.get("connectedState") or "").upper() == "CONNECTED" for r in replicas)


def synchronized(obj):
    """True when every replica that reports a synchronizationState says HEALTHY, False when one does not, None when
    none reports it. A rejoined site discards its divergent log and then catches up: it is not HEALTHY until it
    has."""
    states = [str(r.get("synchronizationState")).upper() for r in status(obj).get("replicas") or []
              if r.get("synchronizationState")]
    if not states:
        return None
    return all(state == "HEALTHY" for state in states)


def healthy(obj):
    """True or False from status.healthState where reported, None otherwise."""
    value = status(obj).get("healthState")
    return None if value is None else str(value).upper() in ("OK", "HEALTHY")


def cause(obj):
    """The controller's own words about the state: status.message, then status.results."""
    found = status(obj)
    parts = [found.get(key) for key in ("message", "results") if found.get(key)]
    return "; ".join(parts) if parts else None


def transient_failure(obj):
    """A Failed state with role Unknown while every reported replica is CONNECTED: seen on a working pair (the 2025
    sample), so it is not taken for the end of an operation."""
    return state(obj) == "failed" and role(obj) == "Unknown" and link(obj) is True


def handled_since(written):
    """A predicate: whether a later version of the object shows the controller handled the write that returned
    `written` (observedGeneration caught up where reported; otherwise a status that differs from the one the write
    returned, a first status for a new object)."""
    generation = ((written or {}).get("metadata") or {}).get("generation")
    before = status(written)

    def handled(obj):
        if obj is None:
            return False
        observed = status(obj).get("observedGeneration")
        if observed is not None and generation is not None:
            return observed >= generation
        return bool(status(obj)) and status(obj) != before
    return handled


def seen(obj):
    """The fields a timeout or a failure reports as last seen."""
    if obj is None:
        return "the object does not exist"
    found = status(obj)
    text = "state=%r, role=%r" % (found.get("state"), found.get("role"))
    replicas = found.get("replicas")
    text += "; connectedState %s" % ([r.get("connectedState") for r in replicas] if replicas else "not reported")
    if cause(obj):
        text += "; %s" % cause(obj)
    if found.get("observedGeneration") is not None:
        text += " (observedGeneration %s of %s)" % (found.get("observedGeneration"),
                                                    (obj.get("metadata") or {}).get("generation"))
    return text
