#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arc_dag_info
short_description: Read the distributed availability group resources of an Arc site
version_added: 1.0.0
description:
  - Reads one DAG resource by O(name), or all in the namespace, as C(FailoverGroup) or the legacy C(Dag) (detected
    from what the site serves), and returns for each the role (C(status.role), the truth), state, results, health,
    per-replica connection and synchronisation, the sync mode, the partner, and the fingerprint of the partner
    certificate it pins, so a playbook can compare it with the partner instance's current certificate.
  - With O(wait=true) it first waits, watching the resource, until it meets O(wait_condition) (by default Succeeded
    and connected for its generation), so a play needs no C(until) loop after an M(arcdata.sqlmi.arc_dag) task run
    with C(wait=false), or while the partner's controller changes this side.
author:
  - arcdata.sqlmi maintainers (@arcdata)
extends_documentation_fragment:
  - arcdata.sqlmi.connection
  - arcdata.sqlmi.connection.info_wait
  - arcdata.sqlmi.attributes
  - arcdata.sqlmi.dag_kind
attributes:
  check_mode:
    support: full
    details: Read only. O(wait) is ignored in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  name:
    description: Name of the DAG resource; all of the namespace when omitted.
    type: str
  wait_condition:
    description:
      - What O(wait=true) waits for. Each is judged against the generation the resource carries when it is seen;
        where it reports C(status.observedGeneration), that must have caught up with C(metadata.generation), so a
        C(Succeeded) left over from before a change does not count (no real C(FailoverGroup) dump shows
        C(observedGeneration); where it is absent, the state is taken as it is). States compare case-insensitively.
      - C(connected) - C(status.state) is C(Succeeded) and every C(status.replicas[].connectedState) is C(CONNECTED)
        (what RV(dags[].linked) reports). A controller that reports no C(status.replicas) leaves the link's state
        unknown, and the wait then ends at C(Succeeded), with RV(dags[].linked) null and a warning. A C(Failed) state
        does not end the wait, as a new side reports it until its partner's side exists.
      - C(synchronized) - C(connected), and every replica that reports a C(synchronizationState) says C(HEALTHY)
        (a site rejoined after a forced failover catches up before it is).
      - C(primary) or C(secondary) - C(status.role) is C(Primary) (or C(Secondary)) and C(status.state) is
        C(Succeeded). For a side whose role the partner's controller changes (the other site of a planned
        failover), so no state ends the wait early; only the role, the site, or the time.
      - C(absent) - the resource no longer exists; RV(dags) is then empty.
      - A resource that does not exist yet is waited for, except with C(absent).
    type: str
    choices: [absent, connected, primary, secondary, synchronized]
    default: connected
    version_added: 2.0.0
seealso:
  - module: arcdata.sqlmi.arc_dag
"""

EXAMPLES = r"""
- name: Which site is primary?
  arcdata.sqlmi.arc_dag_info:
    name: dagsecondary
  register: dag

- name: Report
  ansible.builtin.debug:
    msg: "{{ dag.dags[0].local_instance }} is {{ dag.dags[0].role }} ({{ dag.dags[0].state }})"

- name: Wait until the other site reports the primary role (at most 10 minutes)
  arcdata.sqlmi.arc_dag_info:
    name: dagsecondary
    wait: true
    wait_condition: primary
    wait_timeout: 600
"""

RETURN = r"""
dags:
  description: One summary per DAG resource (empty when O(name) does not exist).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the resource.
      type: str
    dag_name:
      description: The distributed availability group's name (shared by both sites).
      type: str
    local_instance:
      description: This site's instance.
      type: str
    remote_instance:
      description: The partner's instance.
      type: str
    remote_mirroring_url:
      description: The partner endpoint this side connects to.
      type: str
    sync_mode:
      description: C(async) or C(sync).
      type: str
    spec_role:
      description: C(spec.role), which the partner's controller may have rewritten during a switch.
      type: str
    role:
      description: C(status.role), the role this side actually has (C(Primary), C(Secondary), C(Unknown)), whatever
        case the controller writes it in.
      type: str
    state:
      description: C(status.state).
      type: str
    status_results:
      description: C(status.results), empty on success, the controller's explanation otherwise (named as in
        M(arcdata.sqlmi.arc_dag), where Ansible reserves C(results)).
      type: str
    message:
      description: C(status.message), the controller's explanation where it writes one there.
      type: str
      version_added: 2.0.0
    health:
      description: C(status.healthState).
      type: str
    connected:
      description:
        - Whether every replica entry reports C(CONNECTED); null when the controller reports no replicas (the
          link's state is then unknown).
      type: bool
    linked:
      description:
        - Whether this side is C(Succeeded) for its current generation (where it reports C(observedGeneration))
          and every replica is C(CONNECTED), the rule O(wait_condition=connected) waits for; null when it is
          C(Succeeded) for it but the controller reports no replicas (the link's state is unknown, not assumed up).
      type: bool
      version_added: 2.0.0
    replicas:
      description: C(status.replicas).
      type: list
      elements: dict
    partner_certificate:
      description: Fingerprint and validity of the partner certificate this side pins, or null.
      type: dict
    generation:
      description: C(metadata.generation).
      type: int
    observed_generation:
      description: C(status.observedGeneration).
      type: int
    handover:
      description: The latest handover record on this resource (see M(arcdata.sqlmi.arc_handover)), or null.
      type: dict
api_kind:
  description: The kind read, C(FailoverGroup) or C(Dag).
  returned: always
  type: str
api_version:
  description: The version used.
  returned: always
  type: str
waited:
  description: Seconds spent waiting for O(wait_condition) (0 when it held at the first read).
  returned: when O(wait=true), outside check mode
  type: float
  sample: 3.2
  version_added: 2.0.0
"""

from ansible_collections.arcdata.sqlmi.plugins.module_utils import conditions, connection
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arc_module import ArcModule
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dag_summary import summarize
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import DAG_KIND_ARGS
from ansible_collections.arcdata.sqlmi.plugins.module_utils.waiting import read_for_info


def run(arc):
    arc.connect()
    layout, dags = arc.dag_resources(arc.params["api_kind"], arc.params["api_version"], arc.params["name"])
    result = {"changed": False, "api_kind": layout, "api_version": dags.version}
    found = read_for_info(dags, arc.params, arc.check_mode, conditions.DAG_WAIT_CONDITIONS, result)
    result["dags"] = [summarize(o, layout) for o in found]
    waited_for_the_link = arc.params["wait"] and arc.params["wait_condition"] == "connected" and not arc.check_mode
    if waited_for_the_link and result["dags"] and result["dags"][0]["linked"] is None:
        arc.module.warn("%s: %s reports no status.replicas, so whether its link to the partner is up is unknown "
                        "(not assumed): check it with the controller's own tools" % (arc.site, dags.describe(
                            arc.params["name"])))
    return result


def main():
    argument_spec = dict(DAG_KIND_ARGS, name=dict(type="str"),
                         wait_condition=dict(type="str", default="connected",
                                             choices=sorted(conditions.DAG_WAIT_CONDITIONS)))
    argument_spec.update(connection.INFO_WAIT_ARGS)
    ArcModule(argument_spec, wait=False, required_if=[("wait", True, ["name"])]).run(run)


if __name__ == "__main__":
    main()
