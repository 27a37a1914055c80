#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_failover
short_description: Move the primary role of an Arc SQL Managed Instance DR pair, on both sites in one run
version_added: 2.0.0
description:
  - Carries out one transition of one DR pair (two sites joined by a distributed availability group) from the
    control node, talking to both sites' Kubernetes APIs in the same run.
  - O(mode=planned) hands the primary role to the other site without data loss. It refuses unless both sites answer,
    both DAG sides are connected and healthy, and exactly one site is primary; then it sets role C(secondary) on the
    primary (the C(az sql mi-arc dag update --role secondary) step) and waits until that site is Secondary and the
    other site Primary.
  - O(mode=failback) is the same switch back to the site whose O(sites[].home_role) is C(primary); nothing is done when
    that site is already the only primary.
  - O(mode=forced) promotes the DR site when the primary is lost, accepting the loss of the transactions it had not
    received. It refuses unless O(confirm) equals O(dag_name) and a site that answers is not primary. It first fences
    the old primary (C(force-secondary)) when its site answers, then promotes the other site with
    C(force-primary-allow-data-loss) and asynchronous commit.
  - O(mode=rejoin) settles two primaries (an old primary that came back after a forced failover); it keeps the site
    that the latest successful handover record names, demotes the other with C(force-secondary) (the transactions
    it wrote alone are discarded) and waits until both sides are connected. It refuses to guess when no such record
    exists; with fewer than two primaries there is nothing to do.
  - Before the first write it takes the pair's DR lock (a C(coordination.k8s.io/v1) Lease on the current primary's
    site, or on the site where a lock is already held), renews it every third of O(dr_lock_duration) while it runs
    and releases it at the end. The lock carries the transition's intent (mode, sites, a transition id, when it
    started, holder, operator, job); the handover records carry the same transition id.
  - A lock held by another run is watched (read every second). When it changes (its holder renews or releases it)
    the run fails naming the holder, having changed nothing. When it stays unchanged for the holder's duration
    plus 2 seconds, measured on this machine's monotonic clock, its holder stopped renewing it (a run that was
    killed), and the lock is taken over, and the takeover (previous holder, its purpose, how long it stayed unchanged)
    is written into the lock, the handover record and the warnings. The times the holder wrote are not compared
    with this machine's clock, so operators' machines whose clocks disagree still exclude each other. A run that
    finds a held lock can therefore wait up to the holder's duration plus 2 seconds.
  - A run that was killed is finished by the next run (of any operator). When the lock it takes carries a
    transition that did not end, the run reads both sites again and rolls that transition forward from where it
    stopped, never back and never with a second switch (a planned switch already asked for is awaited, not asked
    for again; a forced failover whose DR site is primary is only recorded; a rejoin whose old primary is demoted
    awaits the link), then writes the handover record with that transition's id on each site that lacks it. When
    the interrupted transition is of the O(mode) asked for, that is the whole run; otherwise the asked-for
    transition follows, from the sites as they are then.
  - Waits watch both sites at the same time (no polling). A site that stops answering ends the wait at once, naming
    the site, the object and the cause.
  - Writes a handover record (who moved the primary role where, when, how it ended) on each site that answers, as an
    annotation of its DAG resource and as a Kubernetes Event.
  - Each site's change goes through the same code as M(arcdata.sqlmi.arc_dag), the single-site module.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection.pair_sites
  - arcdata.sqlmi.attributes
  - arcdata.sqlmi.dag_kind
attributes:
  check_mode:
    support: full
    details: The refusals run as usual; the lock, the role changes and the records are sent with C(dryRun=All), so
      the APIs validate them and store nothing. Nothing is awaited.
  diff_mode:
    support: full
    details: Shows each site's DAG spec before and after, per site name.
  idempotent:
    support: partial
    details: A planned failover run twice switches twice (there and back), except when the first run was killed;
      then the second finishes the first one's transition. C(failback), C(forced) and C(rejoin) change nothing when
      the pair is already where they lead.
options:
  mode:
    description: The transition.
    type: str
    required: true
    choices: [planned, failback, forced, rejoin]
  pair:
    description: Name of the DR pair (the inventory group), for messages, the lock and the handover record.
    type: str
    required: true
  dag_name:
    description:
      - Name of the distributed availability group, the same on both sites (the C(az sql mi-arc dag create
        --dag-name) option). O(confirm) must repeat it for a forced failover; the DR lock is named after it.
    type: str
    required: true
  confirm:
    description:
      - For O(mode=forced), the DAG name typed to confirm that the transactions the DR site has not received are
        lost. Any other value, or none, refuses the forced failover before anything is written.
    type: str
  wait_timeout:
    description:
      - Seconds to wait for each step (a role change, the other site taking the primary role, the link after a
        rejoin). When the time is up the run fails naming the site, the object, the field awaited, the expected and
        last seen values and the time waited.
    type: int
    default: 600
  operator:
    description: Who runs the failover (a person, or the AWX user), for the lock holder and the handover record.
    type: str
  job:
    description: The AWX or Automation Controller job, for the lock holder and the handover record.
    type: str
  dr_lock_name:
    description: Name of the DR lock's Lease; default is C(arcdata-sqlmi-dr-) followed by O(dag_name) in lower case.
    type: str
  dr_lock_holder:
    description: Holder identity shown to a second operator; default is O(operator), O(job) and a random run id.
    type: str
  dr_lock_duration:
    description:
      - Seconds the lock stays valid after each renewal (it is renewed every third of that while the run lasts). A
        run that dies leaves the lock unchanged; the next run watches it this long (plus 2 seconds), then takes it
        over, says so and finishes the transition the dead run left.
    type: int
    default: 60
  keep_lock:
    description:
      - When the transition succeeds, leave the DR lock held and its intent not ended instead of releasing it, so
        that what the caller does next (the role M(arcdata.sqlmi.dr_failover) switches the licences) is covered by
        the lock. The caller then runs this module again with the same O(dr_lock_holder), which finds its own
        transition finished, changes no role, and releases the lock. A run that dies before that leaves the lock to
        the next run, which finishes (here it only releases) that transition instead of starting a new one.
      - A failed transition releases the lock anyway. Not in check mode.
    type: bool
    default: false
notes:
  - Run it once per pair (for example on the pair's first host), not once per site.
  - It is not in the action group C(arcdata.sqlmi.arc) (its connection options are per site, in O(sites)), so a
    play's C(module_defaults) for that group do not reach it.
seealso:
  - module: arcdata.sqlmi.arc_dag
  - module: arcdata.sqlmi.arc_dag_info
  - module: arcdata.sqlmi.arc_dr_lock
  - module: arcdata.sqlmi.arc_handover
"""

EXAMPLES = r"""
- name: Planned failover of the payroll pair
  arcdata.sqlmi.arc_failover:
    mode: planned
    pair: payroll
    dag_name: payroll-dag
    operator: "{{ awx_user_name | default(lookup('ansible.builtin.env', 'USER')) }}"
    sites:
      - name: amsterdam
        kubeconfig: /etc/arc/amsterdam.kubeconfig
        namespace: arc
        dag_resource: payroll-ams-dag
        home_role: primary
      - name: dublin
        kubeconfig: /etc/arc/dublin.kubeconfig
        namespace: arc
        dag_resource: payroll-dub-dag
        home_role: secondary

- name: Forced failover when Amsterdam is lost (the DAG name confirms the data loss)
  arcdata.sqlmi.arc_failover:
    mode: forced
    pair: payroll
    dag_name: payroll-dag
    confirm: payroll-dag
    sites: "{{ payroll_sites }}"
"""

RETURN = r"""
mode:
  description: The mode run.
  returned: always
  type: str
pair:
  description: The pair.
  returned: always
  type: str
from_site:
  description: The site that gave the primary role up (or, for a rejoin, was demoted); null when nothing was done.
  returned: always
  type: str
to_site:
  description: The site that took the primary role (or, for a rejoin, kept it); null when nothing was done.
  returned: always
  type: str
summary:
  description: What happened, in one sentence (also the handover record's details).
  returned: always
  type: str
  sample: switched in 0.04 s without data loss
roles:
  description: C(status.role) of each site's DAG resource, by site name, before and after (null for a site that
    does not answer).
  returned: always
  type: dict
  contains:
    before:
      description: Roles before the run.
      type: dict
    after:
      description: Roles after the run.
      type: dict
steps:
  description: Each step, in order, with the site it ran on, how it ended and how long it took.
  returned: always
  type: list
  elements: dict
  contains:
    step:
      description: C(read both sites), C(read the DR locks), C(take the DR lock), C(switch), C(await the primary
        role), C(fence), C(promote), C(demote), C(await the link), C(record the handover), C(release the DR lock).
        C(read both sites) comes again after the lock is taken when the run finishes an interrupted transition.
      type: str
    site:
      description: The site the step ran on (null for both).
      type: str
    outcome:
      description: C(done) or C(failed).
      type: str
    seconds:
      description: Seconds the step took.
      type: float
record:
  description:
    - The handover record written on each site that answers (see M(arcdata.sqlmi.arc_handover)).
    - For a rejoin, its C(discarded_transactions) is how many divergent transactions the returning old primary
      discarded, as its controller reported them in an Event (reason C(DivergentLogDiscarded)); null when its
      controller did not report it.
    - Its C(transition) is the transition's id (the DR lock's intent has the same); C(lock_takeover) says whose
      lock this run took over, and after how long unchanged, or is null.
  returned: when a transition was carried out
  type: dict
lock:
  description: The DR lock taken for the run.
  returned: when a transition was carried out
  type: dict
  contains:
    name:
      description: The Lease's name.
      type: str
    holder:
      description: The holder identity.
      type: str
    site:
      description: The site holding the Lease.
      type: str
    kept:
      description: True when O(keep_lock) left the lock held; absent otherwise.
      type: bool
    taken_over:
      description: The lock of a run that stopped renewing it, which this run took over (holder, purpose, times,
        observed_unchanged_seconds); null otherwise.
      type: dict
    transition:
      description: The intent the lock carries (id, mode, pair, from_site, to_site, started, holder, operator, job,
        ended).
      type: dict
resumed:
  description: The interrupted transition this run finished, when it found one on the DR lock.
  returned: when the run finished an interrupted transition
  type: dict
  contains:
    transition:
      description: Its intent, as the lock carried it.
      type: dict
    state:
      description: How far it had got, as read when this run took the lock.
      type: str
    roles_done:
      description: Whether its role changes were already complete (then only the record was left).
      type: bool
    record_on:
      description: The sites that lacked its handover record.
      type: list
      elements: str
sites:
  description: Each site's DAG resource as last seen, by site name, summarised as M(arcdata.sqlmi.arc_dag_info)
    returns it (null for a site that does not answer or has none).
  returned: always
  type: dict
started:
  description: When the run started (UTC, ISO 8601).
  returned: always
  type: str
finished:
  description: When the run ended (UTC, ISO 8601).
  returned: always
  type: str
controller_messages:
  description: Each site controller's own message about its DAG resource as last seen (C(status.message), else
    C(status.results)), by site name.
  returned: always
  type: dict
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.connection import PAIR_SITE_ARGS
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.failover import Failover
from ansible_collections.arcdata.sqlmi.plugins.module_utils.failover_plan import MODES
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import DAG_KIND_ARGS


def argument_spec():
    return dict(
        DAG_KIND_ARGS,
        mode=dict(type="str", required=True, choices=MODES),
        pair=dict(type="str", required=True),
        dag_name=dict(type="str", required=True),
        confirm=dict(type="str"),
        sites=dict(type="list", elements="dict", required=True, options=PAIR_SITE_ARGS),
        wait_timeout=dict(type="int", default=600),
        operator=dict(type="str"),
        job=dict(type="str"),
        dr_lock_name=dict(type="str"),
        dr_lock_holder=dict(type="str"),
        dr_lock_duration=dict(type="int", default=60),
        keep_lock=dict(type="bool", default=False),
    )


def validate(params):
    """Everything wrong with the options, before any request."""
    found = []
    sites = params["sites"]
    if len(sites) != 2:
        found.append("sites has %d entries (%s): a DR pair has exactly two sites" % (
            len(sites), ", ".join(repr(s["name"]) for s in sites) or "none"))
    names = [s["name"] for s in sites]
    if len(set(names)) != len(names):
        found.append("sites[].name must differ, got %s" % ", ".join(repr(n) for n in names))
    if not 5 <= params["dr_lock_duration"] <= 3600:
        found.append("dr_lock_duration=%d: must be between 5 and 3600 seconds" % params["dr_lock_duration"])
    if params["wait_timeout"] < 1:
        found.append("wait_timeout=%d: must be at least 1 second" % params["wait_timeout"])
    if params["dr_lock_holder"] is not None and not params["dr_lock_holder"].strip():
        found.append("dr_lock_holder is empty: it must say who takes the lock, or be left out")
    if params["mode"] == "failback" and [s.get("home_role") for s in sites].count("primary") != 1:
        found.append("mode=failback needs exactly one site with home_role=primary, got home roles %s" % (
            ", ".join("%s: %s" % (s["name"], s.get("home_role")) for s in sites)))
    if found:
        raise InvalidInput("arc_failover of %s: %s" % (params["pair"], "; ".join(found)), problems=found)


def run(arc):
    validate(arc.params)
    failover = Failover(arc.params, check_mode=arc.check_mode, warn=arc.module.warn,
                        diff=arc.module._diff)  # pylint: disable=protected-access
    return failover.run()


def main():
    ArcModule(argument_spec(), connection_options=False, wait=False).run(run)


if __name__ == "__main__":
    main()
