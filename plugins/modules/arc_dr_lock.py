#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_dr_lock
short_description: Take, renew or release the DR lock of a DR pair (a Kubernetes Lease, or an Azure tag)
version_added: 1.0.0
description:
  - One operator at a time per DR pair. The lock is a C(coordination.k8s.io/v1) Lease in the site's namespace;
    the failover roles take it on the current primary's site before their first write and release it at the end.
  - When another holder holds the lock, the module fails at once, naming the holder, its purpose and since when it
    holds the lock; with O(take_over_stale=true) it first watches the lock instead (see there).
  - A holder that stopped renewing its lock (a run that was killed) is recognised by watching. A lock that stays
    unchanged (the same C(resourceVersion), holder and C(renewTime)) for its duration plus 2 seconds, measured on
    this machine's monotonic clock, is stale. The times the holder wrote are never compared with this machine's
    clock, so machines whose clocks disagree (by minutes, either way) still exclude each other, and a C(renewTime)
    in the future or long past neither shortens nor lengthens the watch. This is the rule of Kubernetes leader
    election. A stale lock is taken over; the takeover (previous holder, its purpose, how long it stayed unchanged)
    is written into the Lease's annotation C(arcdata.sqlmi/taken-over) and returned in RV(taken_over).
  - Taking the lock again with the same O(holder) renews it. M(arcdata.sqlmi.arc_dag) renews it while it waits
    when given its O(arcdata.sqlmi.arc_dag#module:dr_lock) option.
  - The lock may carry the intent of a failover (annotation C(arcdata.sqlmi/transition), written by
    M(arcdata.sqlmi.arc_failover)); an intent whose transition did not end stays on the lock whoever takes it, so
    that the next failover of the pair finishes that transition.
  - In direct connection mode (O(connection_mode)) with a kubeconfig (O(kubeconfig) or O(host)), the lock is the
    same Lease. Without one, it is the tag C(arcdata-sqlmi-dr-lock) of the site's SQL managed instance resource
    (O(instance)) in Azure, as compact JSON (holder, purpose, duration, acquired and renewed times, transitions, the failover's
    intent and the takeover) of at most 256 characters, the purpose, then the takeover, then the holder cut to fit
    (a cut holder ends with C(~) and 8 hex digits of its SHA-256). Its times are Resource Manager's clock (the
    C(Date) header of its answers); whether the lock is stale is judged by watching the tag's value, as for a
    Lease. A release removes the tag, or keeps it with an empty holder while it carries an intent. The lock's O(name) is then only shown in
    messages, as an instance has one DR lock.
  - Resource Manager has no compare-and-swap for tags. The module writes only when the tag still holds what it
    judged, and reads it again a second after writing to detect a concurrent write that replaced its own (then it
    judges again, and fails naming the holder that won). Two runs writing within that second can both believe
    they hold the lock; the window is narrowed, not closed.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.azure
  - arcdata.sqlmi.attributes
attributes:
  check_mode:
    support: full
    details: >-
      The Lease (or the tag) is read; a lock held by someone else fails as it would in a real run; Lease writes use
      C(dryRun=All), and a tag is not written.
  diff_mode:
    support: full
  idempotent:
    support: partial
    details: Releasing is idempotent. Taking the lock renews it each time, which is a change of its C(renewTime).
options:
  name:
    description: Name of the Lease, for example C(arcdata-sqlmi-dr-<DAG name>).
    type: str
    required: true
  holder:
    description:
      - Who holds the lock, as shown to anyone who finds it held, for example C(dba alice, AWX job 42, run 1a2b).
      - Must be unique per run, so that two runs of the same operator exclude each other.
    type: str
    required: true
  state:
    description:
      - V(present) takes the lock, or renews it when O(holder) already holds it.
      - V(absent) releases it when O(holder) holds it; a lock held by someone else is left alone.
    type: str
    choices: [present, absent]
    default: present
  duration:
    description:
      - Seconds the lock stays valid after each renewal (C(leaseDurationSeconds)). A run that dies leaves the pair
        locked that long.
    type: int
    default: 60
  purpose:
    description: What the lock is taken for, shown to whoever finds it held (annotation C(arcdata.sqlmi/purpose)).
    type: str
    default: ""
  take_over_stale:
    description:
      - With O(state=present), when another holder holds the lock, watch it (reading it every second) for its
        duration plus 2 seconds; take it over if it stayed unchanged all that time, and fail naming the holder as
        soon as it changes (the holder renewed or released it, so it is alive).
      - V(false) fails at once on a lock held by another holder, whatever its times say.
    type: bool
    default: false
  instance:
    description:
      - The site's SQL managed instance, whose Azure resource carries the lock as a tag in direct connection mode
        without a kubeconfig. Required there; ignored where the lock is a Lease.
    type: str
seealso:
  - module: arcdata.sqlmi.arc_dag
  - name: Leases in Kubernetes
    description: The C(coordination.k8s.io/v1) Lease resource.
    link: https://kubernetes.io/docs/concepts/architecture/leases/
"""

EXAMPLES = r"""
- name: Take the DR lock of the pair on the current primary's site
  arcdata.sqlmi.arc_dr_lock:
    name: arcdata-sqlmi-dr-dagtest
    holder: "dba alice, run {{ run_id }}"
    purpose: planned failover of sandbox_pair
    duration: 60

- name: Release it
  arcdata.sqlmi.arc_dr_lock:
    name: arcdata-sqlmi-dr-dagtest
    holder: "dba alice, run {{ run_id }}"
    state: absent
"""

RETURN = r"""
lock:
  description: The lock as it is after the task (an empty holder when released; null when there was no lock).
  returned: success
  type: dict
  contains:
    holder:
      description: Holder identity; empty when released.
      type: str
    purpose:
      description: What the holder took it for.
      type: str
    acquired_at:
      description: When the holder took it (RFC 3339, UTC).
      type: str
    renewed_at:
      description: Last renewal.
      type: str
    expires_at:
      description: When it expires unless renewed.
      type: str
    duration_seconds:
      description: Lease duration.
      type: int
    transitions:
      description: How many times the lock changed hands.
      type: int
    expired:
      description: Whether C(renewTime) plus the duration has passed by this machine's clock (for information; the
        module judges staleness by watching, not by this).
      type: bool
    transition:
      description: The intent of the failover that holds or held the lock (id, mode, pair, from_site, to_site,
        started, holder, operator, job, ended), or null.
      type: dict
    taken_over:
      description: The takeover written into the lock when its holder took it over (previous holder, its purpose,
        observed_unchanged_seconds, by, at), or null.
      type: dict
  sample: {"holder": "dba alice, run 1a2b", "purpose": "planned failover of sandbox_pair",
           "acquired_at": "2026-11-26T03:12:00.000000Z", "renewed_at": "2026-11-26T03:12:20.000000Z",
           "expires_at": "2026-11-26T03:13:20.000000Z", "duration_seconds": 60, "transitions": 3, "expired": false}
taken_over:
  description:
    - The stale lock taken over from a holder that stopped renewing it (its holder, purpose and times), or null.
    - Its C(observed_unchanged_seconds) is how long this run saw it unchanged before taking it over.
  returned: success
  type: dict
renewed:
  description: Whether O(holder) already held the lock and renewed it.
  returned: success
  type: bool
stored_in:
  description: Where the lock is, the Lease or the Azure tag.
  returned: success
  type: str
  sample: "DR lock arcdata-sqlmi-dr-dagtest (tag arcdata-sqlmi-dr-lock of SQL managed instance sqlprimary (resource group arc-primary))"
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dr_lock import DrLock, describe, now_utc
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dr_lock_tag import TagLeases
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.record_place import record_place, require_instance


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        holder=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        duration=dict(type="int", default=60),
        purpose=dict(type="str", default=""),
        instance=dict(type="str"),
        take_over_stale=dict(type="bool", default=False),
    )


def validate(params):
    if not params["holder"].strip():
        raise InvalidInput("holder is empty: it must say who takes the lock (operator, job, run)")
    if not 5 <= params["duration"] <= 3600:
        raise InvalidInput("duration=%d: must be between 5 and 3600 seconds" % params["duration"])


def run(arc):
    params = arc.params
    validate(params)
    leases, clock = lock_store(arc)
    lock = DrLock(leases, params["name"], params["holder"], params["duration"], params["purpose"],
                  dry_run=arc.check_mode, clock=clock, watch=params["take_over_stale"])
    result = release(lock, clock) if params["state"] == "absent" else take(arc, lock, clock)
    result["stored_in"] = leases.describe(params["name"])
    if arc.module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": {"holder": result.pop("_holder_before")},
                          "after": {"holder": (result["lock"] or {}).get("holder", "")}}
    else:
        result.pop("_holder_before")
    return result


def lock_store(arc):
    """(the Leases, or their stand-in over the instance's Azure tag; the clock its times are written with)."""
    if not record_place(arc).tags:
        return arc.leases(), now_utc
    instance = require_instance(arc.params, "without a kubeconfig the DR lock is a tag of the site's SQL managed "
                                            "instance resource")
    leases = TagLeases(arc.direct_site.arc_data, instance, arc.params["holder"])
    return leases, leases.now


def take(arc, lock, clock):
    lease, previous = lock.acquire()
    renewed = previous is not None and previous["holder"] == lock.holder
    # a released lock (empty holder) is simply taken; only a holder that stopped renewing is taken over
    taken_over = previous if previous is not None and previous["holder"] and not renewed else None
    if taken_over:
        arc.module.warn(takeover_warning(lock.name, taken_over))
    return {"changed": True, "lock": describe(lease, clock()), "taken_over": taken_over, "renewed": renewed,
            "_holder_before": (previous or {}).get("holder", "")}


def release(lock, clock):
    released, found = lock.release()
    state = describe(found, clock()) if found else None
    if released:
        state = dict(state, holder="", expired=True)
    return {"changed": released, "lock": state, "taken_over": None, "renewed": False,
            "_holder_before": lock.holder if released else (state or {}).get("holder", "")}


def takeover_warning(name, taken_over):
    return "took over the DR lock %s from %r (holding it since %s): it stayed unchanged for %s s while this run " \
        "watched it" % (name, taken_over["holder"], taken_over["acquired_at"],
                        taken_over.get("observed_unchanged_seconds", "?"))


def main():
    ArcModule(argument_spec(), wait=False, azure=True).run(run)


if __name__ == "__main__":
    main()
